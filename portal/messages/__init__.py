"""Supplier messages (AP-CONT-1): the discussion thread of each invoice, lifecycle notifications by mail,
and the outgoing mail queue with its delivery command and admin page."""
from flask import Blueprint

bp = Blueprint("messages", __name__, url_prefix="/messages")

from portal.messages import views  # noqa: E402,F401
