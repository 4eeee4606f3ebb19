"""Structured logs (OPS-4): one JSON object per line, every line of a request carrying its request
id, and one access line per request. Never the query string, never a form body."""
import json
import logging
import re
import sys
import time
import uuid

from flask import g, has_request_context, request

from portal.main.proxy import TRUSTED_PEER

ACCESS_LOGGER = "portal.access"
# A request id from the proxy is kept only if it looks like one (no log injection).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id():
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, for log collectors; times in UTC."""

    converter = time.gmtime

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_handler(stream=None):
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def init_app(app):
    if not app.config.get("TESTING"):
        app.logger.handlers[:] = [json_handler()]
        app.logger.setLevel(logging.INFO)
        app.logger.propagate = False
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.INFO)

    # Registered before every other hook, so even a request failing early has its id.
    @app.before_request
    def assign_request_id():
        g.request_started = time.perf_counter()
        sent = request.headers.get("X-Request-Id", "")
        if request.environ.get(TRUSTED_PEER) and _REQUEST_ID.match(sent):
            g.request_id = sent
        else:
            g.request_id = uuid.uuid4().hex

    # after_request hooks run in reverse order: registered first, this one runs last.
    @app.after_request
    def log_access(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-Id"] = request_id
        started = g.get("request_started")
        access.info("%s %s %s", request.method, request.path, response.status_code, extra={"fields": {
            "event": "access",
            "method": request.method,
            "path": request.script_root + request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "user_id": _loaded_user_id(),
            "remote_addr": request.remote_addr,
        }})
        return response


def _loaded_user_id():
    """The user id if this request already loaded its user: logging never queries the database."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.get_id()
    return None
