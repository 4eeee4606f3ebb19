"""Small Flask-side helpers shared by the blueprints."""
import datetime
from urllib.parse import urlencode

from flask import redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

from portal.audit import record_action
from portal.numbers import MAX_ID


def htmx_redirect(location):
    """Redirect a page load with 303, and an htmx request with HX-Redirect (no htmx headers on 3xx)."""
    if request.headers.get("HX-Request") == "true":
        response = redirect(location, 303)
        response.status_code = 204
        response.headers.pop("Location")
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)


def audit(action, target_type, target_id="", *, before=None, after=None):
    """Record an action by the current user (AUDIT-1); call inside the change's db.atomic()."""
    user = current_user if current_user.is_authenticated else None
    return record_action(
        action, target_type, target_id,
        user=user._get_current_object() if user is not None else None,
        before=before, after=after, remote_addr=request.remote_addr,
    )


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that does not match an id no database can hold: such a URL is a 404, not an
    overflow in the SQLite driver (SEC-2)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class NulFreeMultiDict(ImmutableMultiDict):
    """Query and form values without NUL characters: PostgreSQL refuses them in text, and no
    merchant types one, so they are dropped on arrival rather than failing a save (SEC-2)."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, (dict, MultiDict)):
            mapping = [(_without_nul(key), _without_nul(value)) for key, value in mapping]
        super().__init__(mapping)


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


def bound_url_ids(app):
    """The bounded `int` converter; call before any route is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def drop_nul_characters(app):
    """Subclass the request class in place (after htmx-flask installed its own) so that query and
    form values arrive without NUL characters."""
    app.request_class = type("PortalRequest", (app.request_class,), {"parameter_storage_class": NulFreeMultiDict})


class IdLinks:
    """url_for of one route for many ids: built once with a placeholder id, then filled in
    (werkzeug's URL building costs about as much as the rest of a row)."""

    PLACEHOLDER = 918273645546372819

    def __init__(self, endpoint, id_name, **values):
        self.endpoint, self.id_name, self.values = endpoint, id_name, values
        url = url_for(endpoint, **{id_name: self.PLACEHOLDER}, **values)
        marker = str(self.PLACEHOLDER)
        self.parts = tuple(url.split(marker)) if url.count(marker) == 1 else None

    def __call__(self, object_id):
        if self.parts is None:
            return url_for(self.endpoint, **{self.id_name: object_id}, **self.values)
        return f"{self.parts[0]}{int(object_id)}{self.parts[1]}"


def filter_days(args, errors, start="du", end="au"):
    """The days of a list's « from … to » filter: (start, end), each None when empty. An unreadable day
    or an end before the start is left out and its message put in `errors` under the field's name,
    so the page says why the filter did not apply instead of ignoring it."""
    days = []
    for name in (start, end):
        text = (args.get(name) or "").strip()
        day = None
        if text:
            try:
                day = datetime.date.fromisoformat(text)
            except ValueError:
                errors[name] = _("Date illisible : choisissez-la dans le calendrier ou écrivez jj/mm/aaaa.")
        days.append(day)
    if days[0] and days[1] and days[1] < days[0]:
        errors[end] = _("La date de fin précède la date de début.")
        days[1] = None
    return tuple(days)


def url_with(endpoint, args=None, **more):
    """url_for(endpoint) with `args` and `more` as its query string, whatever their names: url_for takes
    some (endpoint, _anchor, _method …) as its own, and a list's arguments come from the browser."""
    query = [(name, value) for name, value in {**(args or {}), **more}.items() if value is not None]
    return url_for(endpoint) + ("?" + urlencode(query, doseq=True) if query else "")


def register_url_with(app):
    app.add_template_global(url_with)
