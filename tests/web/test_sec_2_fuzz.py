"""SEC-2: no input gets a 5xx. The fuzzer logs in as a user holding every right (and the
administration), opens every page of the portal, reads every form and htmx-posting element it
finds there, and posts generated values (hypothesis) to each: hostile numbers, Unicode digits,
NUL bytes, dates out of range, huge strings, valid choices mixed with garbage. Query strings of
every page are fuzzed the same way. `make test` runs a bounded number of examples per form;
`make fuzz` sets FUZZ_EXAMPLES higher."""
import io
import os
from urllib.parse import urlsplit

import lxml.html
import pytest
from flask import url_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from portal.auth.rights import SHOP_RIGHTS
from portal.documents import DocumentStore
from tests.factories import make_shop, make_user
from tests.worlds import make_shared_objects, make_shop_objects

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
LONG_RUN = "FUZZ_EXAMPLES" in os.environ
# Shrinking a failure to its smallest form is worth its time only in the long run (make fuzz).
PHASES = list(Phase) if LONG_RUN else [Phase.explicit, Phase.generate]
SKIPPED_ACTIONS = ("/logout", "/login", "/setup")
QUERY_NAMES = ["jour", "du", "au", "page", "tri", "ordre", "statut", "q", "boutique", "fournisseur", "periode",
               "axe", "grille", "commande", "depot", "contexte", "archives", "ecarts", "a_valider", "actor",
               "action", "index", "prefix", "next"]

HOSTILE = [
    "", " ", "0", "-1", "-0", "1e309", "-1e309", "NaN", "nan", "inf", "Infinity", "²", "¹²³", "١٢٣", "１２",
    "1" * 4400, "9" * 25, str(10**23), "0,000000001", "1 234,56", "12,345.6", "99999999999999999999",
    "0001-01-01", "9999-12-31", "2026-02-30", "31/02/2026", "1229", "12/29", "00/00", "13/99",
    "\x00", "a\x00b", "\r\nSet-Cookie: x=1", "%00", "../../etc/passwd", "<script>alert(1)</script>",
    "=HYPERLINK(\"http://evil.example\")", "'; DROP TABLE shop; --", "ǅ", "\u202e", "\ud7ff", "x" * 300,
    "x" * 5000, "true", "on", "[]", "{}", "-9223372036854775809", "9223372036854775808", "4970101234567890",
]
# Each of these goes into every field of every form in turn, the other fields keeping the value the
# page offered, so that it reaches the code past the form's other checks.
SWEEP = ["1" * 4400, "NaN", "1e309", "²", "1²/29", "a\x00b", "0001-01-01", str(10**23), "x" * 5000, "-1",
         "99999999999999999999"]
VALUE = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.from_regex(r"[0-9²³¹٣,. -]{1,30}", fullmatch=True),
)


def _element_fields(form):
    """name -> list of offered values (select options, radio/checkbox values) for a form element."""
    fields = {}
    for element in form.iter("input", "select", "textarea"):
        name = element.get("name")
        if not name or name == "csrf_token":
            continue
        offered = fields.setdefault(name, [])
        if element.tag == "select":
            offered += [option.get("value", option.text_content()) for option in element.iter("option")]
        elif element.get("value") is not None:
            offered.append(element.get("value"))
        if element.get("type") == "file":
            fields[name] = ["<file>"]
    return fields


def discover_forms(html, page_url):
    """(action path, fields) of every form and htmx-posting element of a page."""
    tree = lxml.html.fromstring(html)
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        action = element.get("hx-post")
        if element.tag == "form" and (element.get("method") or "get").lower() == "post":
            action = action or element.get("action") or page_url
        if not action:
            continue
        form = element if element.tag == "form" else next(element.iterancestors("form"), element)
        found.append((urlsplit(action).path, _element_fields(form)))
    return found


@pytest.fixture
def fuzz_world(app, payment_ctx):
    shop = make_shop("Boutique Fuzz")
    user = make_user("fuzzeur", is_admin=True, rights={shop: list(SHOP_RIGHTS)})
    shared = make_shared_objects(user)
    ids = make_shop_objects(shop, user, shared["supplier"], payment_ctx, DocumentStore(app.config["DOCUMENTS_DIR"]),
                            "FZ")
    return user, {**shared, **ids, "slug": "rembourser", "name": "approve", "layout": "a4", "kind": "axes",
                  "area": "tableau-de-bord", "field_name": "amount", "index": 0}


def _page_urls(app, ids):
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "auth.setup") or rule.rule.endswith(
                    (".pdf", ".xml", ".csv", "/fec", "/document")):
                continue
            if all(name in ids for name in rule.arguments):
                urls.append(url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments}))
    return sorted(set(urls))


def _post(client, action, data):
    files = {name: (io.BytesIO(value.encode("utf-8", "surrogatepass")[:2000]), "f.pdf")
             for name, value in data.items() if name.startswith("<file>")}
    payload = {name: value for name, value in data.items() if not name.startswith("<file>")}
    if files:
        payload.update({name.removeprefix("<file>"): file for name, file in files.items()})
        return client.post(action, data=payload, content_type="multipart/form-data")
    return client.post(action, data=payload)


def _relogin_if_needed(client, user, response):
    if response.status_code in (302, 303) and "/login" in response.headers.get("Location", ""):
        client.login(user.username)


def test_sec_2_no_form_input_gets_a_5xx(app, client, admin, fuzz_world):
    user, ids = fuzz_world
    assert client.login(user.username).status_code == 302
    forms, failures = {}, []
    for url in _page_urls(app, ids):
        try:
            response = client.get(url)
        except Exception as error:
            failures.append(f"GET {url} -> {type(error).__name__}: {error}")
            continue
        if response.status_code >= 500:
            failures.append(f"GET {url} -> {response.status_code}")
        if response.mimetype == "text/html":
            for action, fields in discover_forms(response.get_data(as_text=True), url):
                if not action.startswith(SKIPPED_ACTIONS):
                    forms.setdefault(action, {}).update(fields)
    assert len(forms) >= 40, f"only {len(forms)} forms found: {sorted(forms)}"

    requests = 0
    for action, fields in sorted(forms.items()):
        names = sorted(fields)
        defaults = {name: (offered[0] if offered and offered != ["<file>"] else "") for name, offered in fields.items()}
        for name in names:
            if fields[name] == ["<file>"]:
                continue
            for value in SWEEP:
                requests += 1
                try:
                    response = client.post(action, data={**defaults, name: value})
                except Exception as error:  # the test client re-raises what would be a 500
                    failures.append(f"POST {action} {name}={value[:30]!r} -> {type(error).__name__}: {error}"[:300])
                    continue
                _relogin_if_needed(client, user, response)
                if response.status_code >= 500:
                    failures.append(f"POST {action} {name}={value[:30]!r} -> {response.status_code}")

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG_RUN,
                  phases=PHASES, suppress_health_check=list(HealthCheck), database=None)
        @given(st.fixed_dictionaries({
            name: st.one_of(st.sampled_from(fields[name]), VALUE) if fields[name] and fields[name] != ["<file>"]
            else VALUE for name in names}), st.booleans())
        def post_generated(values, as_htmx):
            data = {("<file>" + name if fields[name] == ["<file>"] else name): value for name, value in values.items()}
            try:
                response = _post(client, action, data) if not as_htmx else client.post(
                    action, data={k: v for k, v in data.items() if not k.startswith("<file>")},
                    headers={"HX-Request": "true"})
            except Exception as error:  # the test client re-raises what would be a 500
                raise AssertionError(f"POST {action} -> {type(error).__name__}: {error} "
                                     f"{ {k: v[:30] for k, v in values.items()} !r}") from error
            _relogin_if_needed(client, user, response)
            assert response.status_code < 500, \
                f"POST {action} -> {response.status_code} { {k: v[:30] for k, v in values.items()} !r}"

        try:
            post_generated()
        except AssertionError as error:
            failures.append(str(error).splitlines()[0][:600])
    print(f"SEC-2 fuzz: {len(forms)} forms, {requests} swept posts, {EXAMPLES} generated examples per form")
    assert not failures, f"{len(failures)} failures on {len(forms)} forms:\n" + "\n".join(failures)


def test_sec_2_no_query_string_gets_a_5xx(app, client, admin, fuzz_world):
    user, ids = fuzz_world
    assert client.login(user.username).status_code == 302
    urls = _page_urls(app, ids)
    failures = []

    @settings(max_examples=EXAMPLES * 20, deadline=None, derandomize=not LONG_RUN,
              phases=PHASES, suppress_health_check=list(HealthCheck), database=None)
    @given(st.sampled_from(urls), st.dictionaries(st.sampled_from(QUERY_NAMES), VALUE, max_size=4), st.booleans())
    def get_generated(url, query, as_htmx):
        try:
            response = client.get(url, query_string=query, headers={"HX-Request": "true"} if as_htmx else {})
        except Exception as error:
            raise AssertionError(f"GET {url} {query!r} -> {type(error).__name__}: {error}") from error
        _relogin_if_needed(client, user, response)
        assert response.status_code < 500, f"GET {url} {query!r} -> {response.status_code}"

    try:
        get_generated()
    except AssertionError as error:
        failures.append(str(error).splitlines()[0][:600])
    assert not failures, "\n".join(failures)
