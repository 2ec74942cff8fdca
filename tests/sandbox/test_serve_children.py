"""The sandbox's server processes (``sandbox.serve.serve_in_process``) belong to the process that started
them: deaf to a terminal's Ctrl-C (their parent stops them, in order), stopped by ``stop()``, and gone on
their own once that parent is killed without a chance to stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import REPO

# a parent serving one simulated system in a child process, printing its URL and its children's pids; it
# ignores SIGINT itself (a parent handling Ctrl-C would stop the child: here only the child's reaction counts)
PARENT = """
import os, signal, sys, time
from sandbox.serve import serve_in_process
signal.signal(signal.SIGINT, signal.SIG_IGN)
server = serve_in_process("sandbox.local.rest_indonesian:create_app", {"token": "t"})
children = [int(p.name) for p in __import__("pathlib").Path("/proc").iterdir() if p.name.isdigit()
            and (p / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(os.getpid())]
print(server.url, *children, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _serves(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return False
    return True


def test_a_server_outlives_ctrl_c_but_not_its_killed_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    children: list[int] = []
    try:
        assert parent.stdout is not None
        url, *pids = parent.stdout.readline().split()
        children = [int(p) for p in pids]
        assert _serves(url)
        os.killpg(parent.pid, signal.SIGINT)  # the terminal's Ctrl-C reaches the child too ...
        time.sleep(1.5)
        assert _serves(url), "... which leaves it to its parent"
        parent.send_signal(signal.SIGKILL)  # the parent dies without stopping it
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _serves(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _serves(url), "an orphaned server stops by itself"
        time.sleep(1.0)
        # the server process itself is gone (the resource tracker, which ignores SIGINT, ends with its pipe)
        assert not [p for p in children if _alive(p)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if parent.stdout is not None:
            parent.stdout.close()


# a parent starting four servers while Ctrl-C is pressed again and again (every 50 ms for its first 1.5 s,
# the whole of their start-up); it carries on itself (a handler that does nothing): only the children count
STARTING_PARENT = """
import os, signal, time
from sandbox.serve import serve_many_in_process
began = time.monotonic()
signal.signal(signal.SIGINT, lambda sig, frame: None)
signal.signal(signal.SIGALRM, lambda sig, frame: os.killpg(os.getpgrp(), signal.SIGINT))
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
servers = serve_many_in_process([("sandbox.local.rest_indonesian:create_app", {"token": "t"})] * 4)
time.sleep(max(0.0, 1.5 - (time.monotonic() - began)))
signal.setitimer(signal.ITIMER_REAL, 0)
print(*(s.url for s in servers), flush=True)
for server in servers:
    server.stop()
"""


def test_ctrl_c_while_servers_start_neither_ends_nor_troubles_them() -> None:
    """The server processes are spawned deaf to Ctrl-C: one pressed while they are still importing (before
    they could ignore it themselves) no longer ends them with a KeyboardInterrupt traceback each."""
    parent = subprocess.run(
        [sys.executable, "-c", STARTING_PARENT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert "Traceback" not in parent.stderr, parent.stderr[-3000:]
    assert parent.returncode == 0, parent.stderr[-3000:]
    assert len(parent.stdout.split()) == 4
