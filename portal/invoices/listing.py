"""What the supplier-side list pages (invoices, invoices to pay, purchases, mail queue) work out once
per request rather than once per row (issue 14): the user's shops and rights in one query, translated
labels, money formatters, dates, and links built from one url_for."""
import datetime

from flask import g
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from markupsafe import Markup

from portal.auth.rights import PAYABLES_RIGHTS, ShopRights
from portal.fastmoney import money_formatter
from portal.formatting import request_translations
from portal.invoices.lifecycle import STATUS_TONES, InvoiceStatus
from portal.money import exponent, format_amount_input
from portal.navigation import remember_rights_held
from portal.web import IdLinks  # noqa: F401  (the list modules import it from here)


class PayablesAccess(ShopRights):
    """The user's rights read once for a supplier-side list; the main menu is told what the user
    holds, and asks nothing more."""

    def __init__(self, user):
        super().__init__(user)
        remember_rights_held(user, self.held)

    def shops_with_any(self, rights=PAYABLES_RIGHTS):
        return super().shops_with_any(rights)


def payables_access():
    """The current user's PayablesAccess, read once per request."""
    user = current_user._get_current_object()
    access = g.get("payables_access")
    if access is None or access[0] != user.id:
        access = g.payables_access = (user.id, PayablesAccess(user))
    return access[1]


def labels(**msgids):
    """{key: translated label}, each looked up once, as Jinja's gettext gives it in a template: the
    translation as markup, values given later by `label % {...}` escaped (texts without values are
    already formatted)."""
    translations = request_translations()
    result = {}
    for key, msgid in msgids.items():
        text = Markup(translations.ugettext(msgid))
        result[key] = text if "%(" in msgid else text % {}
    return result


def status_badges():
    """{status value: (label, tone)} of every invoice status, translated once (plain text, as the
    `invoice_status` filter gives it)."""
    translations = request_translations()
    return {status.value: (translations.ugettext(status.label), STATUS_TONES[status])
            for status in InvoiceStatus}


def day(value):
    """A date as the `date` filter writes it (dd/MM/yyyy, the same digits in every locale)."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


class Formats:
    """Money in the user's locale (the `money` filter), pre-filled amounts (the `amount_input`
    filter) and dates with times (the `datetime` filter), one formatter per currency and one time
    zone look-up for the whole request."""

    def __init__(self):
        self.locale = str(get_locale() or "fr")
        self.timezone = get_timezone()
        self._money, self._inputs = {}, {}

    def _local(self, value):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(self.timezone)

    def local_day(self, value):
        """A date, or the day of a date and time in the user's time zone, as the `date` filter writes it."""
        if isinstance(value, datetime.datetime):
            value = self._local(value)
        return day(value)

    def stamp(self, value):
        """A date and time as the `datetime` filter writes it: in the user's time zone (a naive value
        is UTC), dd/MM/yyyy HH:mm:ss."""
        if not value:
            return ""
        local = self._local(value)
        return (f"{local.day:02d}/{local.month:02d}/{local.year:04d} "
                f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}")

    def money(self, minor, currency):
        if minor is None:
            return ""
        currency = (currency or "EUR").upper()
        formatter = self._money.get(currency)
        if formatter is None:
            formatter = self._money[currency] = money_formatter(currency, self.locale)
        return formatter(minor)

    def amount_input(self, minor, currency):
        """format_amount_input(minor, currency): digits, the French decimal comma, no grouping."""
        digits = self._inputs.get(currency)
        if digits is None:
            digits = self._inputs[currency] = _input_digits(currency)
        if digits is False or type(minor) is not int or minor < 0:
            return format_amount_input(minor, currency)
        if not digits:
            return str(minor)
        whole, fraction = divmod(minor, 10**digits)
        return f"{whole},{fraction:0{digits}d}"


def _input_digits(currency):
    """The currency's decimals when the short form above gives format_amount_input's text, else False."""
    digits = exponent(currency)
    for sample in (0, 1, 99, 100, 123456, 10**9 + 7):
        whole, fraction = divmod(sample, 10**digits) if digits else (sample, 0)
        fast = f"{whole},{fraction:0{digits}d}" if digits else str(sample)
        if fast != format_amount_input(sample, currency):
            return False
    return digits
