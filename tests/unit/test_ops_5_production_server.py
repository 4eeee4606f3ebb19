"""OPS-5: the production server command and the example service files work as written: every command a
unit file runs exists, and the app served by gunicorn with several workers answers."""
import configparser
import os
import pathlib
import shlex
import subprocess
import sys
import time
import urllib.request

from tests.nginx import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _commands(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(unit)
    return [shlex.split(parser["Service"][key]) for key in ("ExecStartPre", "ExecStart") if key in parser["Service"]]


def test_ops_5_every_service_file_runs_an_existing_command(app):
    units = sorted(DEPLOY.glob("*.service"))
    assert {unit.stem for unit in units} >= {"comptoir", "comptoir-remit", "comptoir-sync", "comptoir-mail"}
    flask_commands = set(app.cli.list_commands(None)) | {"run", "shell", "routes"}
    for unit in units:
        for command in _commands(unit):
            program = pathlib.Path(command[0]).name
            if program == "flask":
                assert command[1:3] == ["--app", "wsgi"], unit.name
                assert command[3] in flask_commands, f"{unit.name}: flask {command[3]} does not exist"
            else:
                assert program == "gunicorn" and command[-1] == "wsgi:app", unit.name
        timer = unit.with_suffix(".timer")
        if unit.stem != "comptoir":
            assert timer.exists(), f"{unit.name} runs from a timer"


def test_ops_5_gunicorn_with_several_workers_serves_the_portal(tmp_path):
    env = dict(os.environ, PORTAL_INSTANCE_DIR=str(tmp_path / "instance"))
    env.pop("PORTAL_TEST_DATABASE_URL", None)
    venv_bin = pathlib.Path(sys.executable).parent
    subprocess.run([str(venv_bin / "flask"), "--app", "wsgi", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen([str(venv_bin / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        answers = []
        deadline = time.monotonic() + 60
        while len(answers) < 10 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    answers.append(response.status)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    answers.append(response.status)
            except OSError:
                time.sleep(0.3)
        assert answers[:10] == [200] * 10, answers
    finally:
        server.terminate()
        server.wait(timeout=30)
