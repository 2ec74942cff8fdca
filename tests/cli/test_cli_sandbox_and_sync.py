"""`mpphub sandbox up` in a real process, then `mpphub sync` against it with the environment it prints,
then Ctrl-C: the path a regional team or an operator walks."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import REPO

MPPHUB = [sys.executable, "-m", "hub.cli"]


def test_sandbox_up_then_sync_then_ctrl_c(tmp_path: Path) -> None:
    up = subprocess.Popen(
        [
            *MPPHUB,
            "sandbox",
            "up",
            "--state",
            str(tmp_path / "sandbox"),
            "--national-port",
            "0",
            "--indonesian-port",
            "0",
            "--cursor-port",
            "0",
            "--form-port",
            "0",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert up.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            lines.append(line)
            if "serving; Ctrl-C stops" in line or not line:
                break
        output = "".join(lines)
        assert "serving; Ctrl-C stops" in output, output
        assert "SQL (postgresql" in output and "SQL (mariadb" in output  # all four systems serve
        assert re.search(r"REST 35\.01 +http://127\.0\.0\.1:\d+ +indonesian style, 35\.01's own system", output)
        national = re.search(r"national layer\s+(\S+)", output)
        assert national is not None
        token = "sandbox-national-token"  # noqa: S105 - the sandbox loopback token
        # citizens apply nationally
        from sandbox.national.citizens import CitizenSimulator

        adopted = "35.01/izin-penelitian"  # adopts nasional/izin-penelitian with SIPENA: its region's own system
        php = "35.09/izin-reklame"  # the PHP-style system (sandbox/local/rest_form.py)
        CitizenSimulator.to_url(
            national.group(1), seed=2, services=["35.76/akta-kelahiran", adopted, php], registry_dir=REPO / "registry"
        ).submit_each()
        CitizenSimulator.to_url(
            national.group(1), seed=3, services=["35.76/akta-kelahiran"], registry_dir=REPO / "registry"
        ).submit(3)
        command = next(line for line in lines if line.strip().endswith("mpphub sync --once"))
        env = dict(os.environ, MPPHUB_LEDGER_URL=f"sqlite:///{tmp_path / 'ledger.db'}", MPPHUB_NATIONAL_TOKEN=token)
        # the suite's loopback opt-in is removed: the printed environment must carry it (secure default)
        env.pop("MPPHUB_ALLOW_LOOPBACK", None)
        assert "MPPHUB_ALLOW_LOOPBACK=1" in command
        for word in shlex.split(command)[:-3]:
            key, _, value = word.partition("=")
            env[key] = value
        service = "35.76/akta-kelahiran"
        for target in (adopted, php, service, "35.76/surat-keterangan-tidak-mampu"):  # adopted, PHP, REST, SQL
            synced = subprocess.run(
                [*MPPHUB, "sync", "--once", "--format", "json", "--service", target],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert synced.returncode == 0, synced.stdout + synced.stderr
        assert '"35.76"' in synced.stdout
        truth = requests.get(f"{national.group(1)}/_sandbox/truth", timeout=10).json()
        mine = [a for a in truth["applications"] if a["service_id"] == service]
        assert len(mine) == 4 and all(a["acknowledgement"] for a in mine)
        theirs = [a for a in truth["applications"] if a["service_id"] == adopted]
        assert len(theirs) == 1 and theirs[0]["acknowledgement"]
        forms = [a for a in truth["applications"] if a["service_id"] == php]
        assert len(forms) == 1 and forms[0]["acknowledgement"]
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.communicate(timeout=30)  # reads what is left and closes the pipes
        except subprocess.TimeoutExpired:
            up.kill()
            raise
    assert up.returncode == 130, "ended by Ctrl-C (tests/cli/test_ctrl_c.py: no traceback, nothing left)"
