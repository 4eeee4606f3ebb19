"""Access checks every blueprint uses: the server refuses (403) whatever the UI shows (AUTH-2)."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.auth.rights import ADMIN_RIGHT, has_right


class MissingRight:
    """Carried by a 403 so that its page names the right missing and the shop (ONB-1)."""

    def __init__(self, right, shop=None):
        self.right = right
        self.shop = shop


def require_right(right, shop=None):
    """Abort with 403 unless the current user holds `right` (on `shop`, or on any shop)."""
    if not current_user.is_authenticated or not has_right(current_user, right, shop):
        abort(403, description=MissingRight(right, shop))


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
            abort(403, description=MissingRight(ADMIN_RIGHT))
        return view(*args, **kwargs)

    return wrapped
