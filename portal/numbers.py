"""Reading numbers that come from a browser: ASCII digits only and a bounded size, so that
"²", "١٢" or twenty digits give a clear refusal instead of an exception in int() or in the
database driver (SEC-2)."""

MAX_ID = 2**63 - 1  # the largest id both SQLite and PostgreSQL store


def is_ascii_digits(text, max_length=None):
    """True for a non-empty run of 0-9 (str.isdigit() also accepts "²", which int() refuses)."""
    if not text or not text.isascii() or not text.isdigit():
        return False
    return max_length is None or len(text) <= max_length


def parse_id(text):
    """The id a browser sent, or None when it cannot be one."""
    text = (text or "").strip() if isinstance(text, str) else str(text)
    if not is_ascii_digits(text, 19):
        return None
    value = int(text)
    return value if value <= MAX_ID else None
