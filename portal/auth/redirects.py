"""Where to go after login (AUTH-5): only a path on this site, never another host. Plain Python."""
from urllib.parse import urlsplit


def safe_next(target, default):
    """`target` when it is a same-site relative path, else `default`.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    "/\\t/evil.example/" or "/\\\\evil.example" would leave the site: any control character or
    backslash refuses the target outright, before parsing."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if "\\" in target or any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in target):
        return default
    target = target.strip()
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
