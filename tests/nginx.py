"""A real nginx in front of a live app, for the reverse proxy tests (OPS-4, AUTH-3): writes a
config in a temporary folder and runs `nginx -p DIR -c FILE -g 'daemon off;'` on a free
127.0.0.1 port, stopped at the end of the `with` block (or of the fixture using it)."""
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 128; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  server {{
    listen 127.0.0.1:{port};
    location {prefix}/ {{
      proxy_pass http://127.0.0.1:{upstream_port}/;
      proxy_set_header Host $host:$server_port;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host:$server_port;
      proxy_set_header X-Forwarded-Prefix {prefix};
      proxy_set_header X-Request-Id $request_id;
{extra}
    }}
  }}
}}
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port, process, log, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx stopped: {log.read_text() if log.exists() else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


@contextlib.contextmanager
def running_nginx(directory, upstream_port, prefix="/comptoir", headers=None):
    """nginx on a free port proxying `prefix`/ to 127.0.0.1:`upstream_port`/; yields its base URL
    (with the prefix). `headers` adds `proxy_set_header NAME VALUE;` lines (e.g. the SSO user)."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: CI installs it (apt-get install nginx-light)")
    directory = Path(directory)
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    extra = "\n".join(f"      proxy_set_header {name} {value};" for name, value in (headers or {}).items())
    config = directory / "nginx.conf"
    # As root, workers would switch to "nobody", who cannot enter pytest's private tmp folders.
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(CONFIG.format(user=user, dir=directory, port=port, prefix=prefix.rstrip("/"),
                                    upstream_port=upstream_port, extra=extra))
    log = directory / "error.log"
    process = subprocess.Popen(
        [NGINX, "-p", str(directory), "-c", str(config), "-e", str(log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=(directory / "stderr.log").open("w"),
    )
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}{prefix.rstrip('/')}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def serving(app, host="127.0.0.1"):
    """The app over HTTP on a free port, in a thread (like conftest's live_server); yields the port."""
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)
