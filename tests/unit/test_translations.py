"""LOC-1 / LOC-3: every text the code marks for translation has an English translation in the
catalogue, so an English user never meets a French sentence the code already knows about."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent.parent
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "N_": None, "ngettext": (1, 2)}


def _extracted():
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map=options, keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_loc_3_every_marked_text_has_an_english_translation():
    with open(ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    extracted = _extracted()
    assert len(extracted) > 250
    missing = [f"{where}: {msgid!r}" for msgid, where in extracted.items()
               if not (catalog.get(msgid) and catalog.get(msgid).string)]
    assert not missing, f"{len(missing)} texts without English:\n" + "\n".join(missing)


def test_loc_3_placeholders_survive_translation():
    with open(ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    wrong = [message.id for message in catalog if message.id and message.string and isinstance(message.id, str)
             and set(placeholder.findall(message.id)) != set(placeholder.findall(message.string))]
    assert not wrong, wrong
