"""Jinja filters for money, dates and times in the user's locale (LOC-1)."""
from flask_babel import format_date, format_datetime, format_time, get_locale

from portal.fastmoney import money_formatter

DATE_PATTERN = "dd/MM/yyyy"
TIME_PATTERN = "HH:mm:ss"


def money_filter(minor, currency="EUR"):
    if minor is None:
        return ""
    # The cached formatter gives Babel's exact text at a fraction of its cost (lists show hundreds of amounts).
    return money_formatter((currency or "EUR").upper(), str(get_locale() or "fr"))(minor)


def date_filter(value):
    return format_date(value, DATE_PATTERN) if value else ""


def time_filter(value):
    return format_time(value, TIME_PATTERN) if value else ""


def datetime_filter(value):
    return format_datetime(value, f"{DATE_PATTERN} {TIME_PATTERN}") if value else ""


def quantity_filter(quantity_milli):
    from portal.purchasing.amounts import format_quantity

    return "" if quantity_milli is None else format_quantity(quantity_milli)


def rate_filter(rate_bp):
    from portal.purchasing.amounts import format_rate

    return "" if rate_bp is None else format_rate(rate_bp)


def register(app):
    app.add_template_filter(quantity_filter, "quantity")
    app.add_template_filter(rate_filter, "vat_rate")
    app.add_template_filter(money_filter, "money")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(time_filter, "time")
    app.add_template_filter(datetime_filter, "datetime")
