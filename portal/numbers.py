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


def coerce_id(value):
    """coerce= of a select of ids: int(), refusing what no row can hold (SQLite overflows beyond 64 bits)
    and digits int() would take but a browser never sends ("²" fails, " 12" is stripped first)."""
    text = str(value).strip()
    if not is_ascii_digits(text.removeprefix("-"), 19):
        raise ValueError(f"not an id: {text[:20]!r}")
    number = int(text)
    if abs(number) > MAX_ID:
        raise ValueError("beyond any id")
    return number
