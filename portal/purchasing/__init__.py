"""Purchasing (SPEC 3): purchase requests, numbered purchase orders with their PDF, delivery notes."""
from flask import Blueprint

bp = Blueprint("purchasing", __name__, url_prefix="/achats")

from portal.purchasing import views  # noqa: E402,F401
