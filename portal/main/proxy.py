"""Reverse proxy support (OPS-4, AUTH-3): X-Forwarded-*, the request id and the SSO user name
are believed only when the immediate peer is one of TRUSTED_PROXIES; from anyone else they are
removed before Flask sees the request."""
import ipaddress
from functools import lru_cache

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED", "HTTP_X_REQUEST_ID",
)
# Set on the WSGI environ: whether the peer that opened the connection is a trusted proxy.
TRUSTED_PEER = "comptoir.trusted_proxy"


@lru_cache(maxsize=8)
def parse_trusted(spec):
    """"127.0.0.1 ::1 10.0.0.0/24" -> networks; a bare address is a one-address network."""
    networks = []
    for item in (spec or "").replace(",", " ").split():
        networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def is_trusted(peer, spec):
    try:
        address = ipaddress.ip_address((peer or "").split("%")[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in parse_trusted(spec))


def sso_environ_key(header):
    """The environ key of the SSO setting: REMOTE_USER as is (set by the server), a header
    name as its HTTP_ form."""
    if not header:
        return None
    if header.upper() == "REMOTE_USER":
        return "REMOTE_USER"
    return "HTTP_" + header.upper().replace("-", "_")


class TrustedProxyMiddleware:
    """Wraps the Flask app; reads the settings on each request so tests can change them."""

    def __init__(self, flask_app):
        self.flask_app = flask_app
        self.direct = flask_app.wsgi_app
        self.proxied = ProxyFix(flask_app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    def __call__(self, environ, start_response):
        config = self.flask_app.config
        trusted = is_trusted(environ.get("REMOTE_ADDR"), config.get("TRUSTED_PROXIES"))
        environ[TRUSTED_PEER] = trusted
        if not trusted:
            for key in FORWARDED_HEADERS:
                environ.pop(key, None)
            sso_key = sso_environ_key(config.get("SSO_HEADER"))
            if sso_key:
                environ.pop(sso_key, None)
        if trusted and config.get("BEHIND_PROXY"):
            return self.proxied(environ, start_response)
        return self.direct(environ, start_response)
