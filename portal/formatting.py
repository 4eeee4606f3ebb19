"""Jinja filters for money, dates and times in the user's locale (LOC-1), and the templates' gettext."""
from flask import g
from flask_babel import format_date, format_datetime, format_time, get_locale, get_translations

from portal.fastmoney import money_formatter
from portal.texts import in_user_language

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


def request_translations():
    """flask_babel.get_translations(), looked up once per request and locale. A page's templates
    translate about a hundred texts, and Flask-Babel finds the request's locale and catalogue again
    for each, through a dozen context look-ups (40-90 µs a text, a few ms a page). Kept beside
    Flask-Babel's own per-request state and keyed by its locale object, so force_locale() (a receipt
    in its reader's language) is still obeyed."""
    state = getattr(g, "_flask_babel", None) if g else None
    if state is not None:
        cached = getattr(state, "comptoir_translations", None)
        if cached is not None and cached[0] is getattr(state, "babel_locale", None) is not None:
            return cached[1]
    translations = get_translations()
    state = getattr(g, "_flask_babel", None) if g else None
    if state is not None:
        state.comptoir_translations = (getattr(state, "babel_locale", None), translations)
    return translations


def register(app):
    # Flask-Babel's callables, each through request_translations().
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.add_template_filter(quantity_filter, "quantity")
    app.add_template_filter(rate_filter, "vat_rate")
    app.add_template_filter(money_filter, "money")
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(time_filter, "time")
    app.add_template_filter(datetime_filter, "datetime")
    app.add_template_filter(in_user_language, "in_user_language")  # a Text kept by a rule module (LOC-3)
