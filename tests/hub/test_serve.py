"""`mpphub serve` in its own process on a free port: prints its URL, serves the OpenAPI document and the
API with a token made by `mpphub token create`, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import REPO

MPPHUB = [sys.executable, "-m", "hub.cli"]


def test_serve_answers_with_a_created_token_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = dict(
        os.environ, MPPHUB_LEDGER_URL=f"sqlite:///{tmp_path / 'ledger.db'}", MPPHUB_REGISTRY=str(REPO / "registry")
    )
    created = subprocess.run(
        [*MPPHUB, "token", "create", "--name", "ops", "--role", "operator"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    token = created.stdout.strip()
    serve = subprocess.Popen(
        [*MPPHUB, "serve", "--port", "0"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match and match.group(1) != "0", line
        url = match.group(0).rstrip("/")
        assert requests.get(f"{url}/openapi.json", timeout=30).json()["info"]["title"] == "mpp-hub API"
        assert requests.get(f"{url}/api/v1/me", timeout=30).status_code == 401
        me = requests.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert me.json() == {"name": "ops", "role": "operator", "region": None}
        assert requests.get(f"{url}/docs", timeout=30).status_code == 404  # nothing that loads a CDN
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.communicate(timeout=30)  # reads what is left and closes the pipes
        except subprocess.TimeoutExpired:
            serve.kill()
            raise
    assert serve.returncode == 0
