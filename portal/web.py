"""Small Flask-side helpers shared by the blueprints."""
from flask import redirect, request
from flask_login import current_user

from portal.audit import record_action


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
