from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import views  # noqa: E402,F401
from portal.auth import totp_views  # noqa: E402,F401
