"""A money formatter for pages that show many amounts (lists, the `money` template filter): Babel's
format_currency costs ~0.3 ms a call (locale lookups, pattern application); this one learns
the locale's symbols once per (currency, locale) from Babel itself and checks itself against
Babel on sample values, falling back to Babel when any differs. No Flask here."""
import functools

from portal.money import exponent, format_money

_SAMPLES = (0, 1, 9, 99, 100, 999, 1000, 1234, 12345, 99999, 100000, 123456, 1234567, 100000000, 123456789,
            10**12)


class MoneyFormatter:
    """`fmt(minor)` gives exactly `format_money(minor, currency, locale)`."""

    def __init__(self, currency, locale):
        self.currency, self.locale = currency, locale
        self.digits = exponent(currency)
        self._fast = self._learn()

    def _learn(self):
        digits = self.digits
        sample = format_money(123456789 * 10**digits + (int("9" * digits) if digits else 0), self.currency,
                              self.locale)
        first, last = sample.find("1"), max(sample.rfind(ch) for ch in "0123456789")
        if first < 0:
            return False
        self.prefix, self.suffix, middle = sample[:first], sample[last + 1:], sample[first:last + 1]
        expected_len = 9 + 2 + (1 + digits if digits else 0)
        if len(middle) != expected_len or not middle.startswith("123") or middle[4:7] != "456":
            return False
        self.group, self.decimal = middle[3], (middle[-digits - 1] if digits else "")
        return all(self._format(value) == format_money(value, self.currency, self.locale) for value in _SAMPLES)

    def _format(self, minor):
        digits = self.digits
        whole, fraction = divmod(minor, 10**digits) if digits else (minor, 0)
        text = f"{whole:,}".replace(",", self.group)
        if digits:
            text += self.decimal + str(fraction).rjust(digits, "0")
        return self.prefix + text + self.suffix

    def __call__(self, minor):
        if self._fast and type(minor) is int and 0 <= minor <= 10**12:
            return self._format(minor)
        return format_money(minor, self.currency, self.locale)


@functools.lru_cache(maxsize=64)
def money_formatter(currency, locale):
    return MoneyFormatter(currency, locale)
