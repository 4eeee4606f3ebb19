"""Access checks every blueprint uses: the server refuses (403) whatever the UI shows (AUTH-2)."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.auth.rights import has_right


def require_right(right, shop=None):
    """Abort with 403 unless the current user holds `right` (on `shop`, or on any shop)."""
    if not current_user.is_authenticated or not has_right(current_user, right, shop):
        abort(403)


def right_required(right):
    """View decorator: logged in and holding `right` on at least one shop."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            require_right(right)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
