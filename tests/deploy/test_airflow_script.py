"""`make airflow` (deploy/airflow-standalone.sh): Ctrl-C leaves nothing running, and the API server listens
on 127.0.0.1.

The script runs from a copy in a scratch tree whose ``.venv/bin`` holds stand-ins for ``airflow``,
``mpphub`` and ``python`` (the script takes every program from there), so the test is fast and needs no
real Airflow. The stand-in ``airflow standalone`` behaves like the real one where it matters: it starts
components, one of which starts a "task" in a process group of its own that ignores SIGINT and SIGTERM
(Airflow's task processes move to their own group); on Ctrl-C it stops only its direct children, so the
task is left to be re-parented to PID 1 — unless the script stops the whole session.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "airflow-standalone.sh"

pytestmark = pytest.mark.skipif(
    shutil.which("setsid") is None or sys.platform != "linux", reason="needs Linux and util-linux setsid"
)

# `airflow`: `db migrate` does nothing; `standalone` records its environment and its processes' pids
FAKE_AIRFLOW = """
import json, os, signal, subprocess, sys, time
state = os.environ["AIRFLOW_HOME"]
if sys.argv[1:] != ["standalone"]:
    sys.exit(0)
with open(os.path.join(state, "standalone-env.json"), "w") as out:
    json.dump(dict(os.environ), out)
# a component (like the scheduler) that starts a task process in its own process group, deaf to INT and TERM
TASK = (
    "import os, signal, time; os.setpgid(0, 0); signal.signal(signal.SIGINT, signal.SIG_IGN);"
    " signal.signal(signal.SIGTERM, signal.SIG_IGN); open(os.environ['TASK_PID_FILE'], 'w').write(str(os.getpid()));"
    " time.sleep(600)"
)
COMPONENT = (
    "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', sys.argv[1]]); time.sleep(600)"
)
components = [
    subprocess.Popen([sys.executable, "-c", COMPONENT, TASK]),
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]),
]
task_file = os.environ["TASK_PID_FILE"]
while not os.path.exists(task_file) or not open(task_file).read():
    time.sleep(0.05)
with open(os.path.join(state, "standalone-pids.json"), "w") as out:
    json.dump({"standalone": os.getpid(), "components": [c.pid for c in components]}, out)
print("standalone ready", flush=True)
try:
    time.sleep(600)
except KeyboardInterrupt:  # as the real one: stop the direct children, not what they started
    for c in components:
        c.terminate()
    sys.exit(0)
"""

# `mpphub sandbox up ... --env-file FILE`: writes the environment, serves (a child server) until Ctrl-C
FAKE_MPPHUB = """
import os, subprocess, sys, time
server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
env_file = sys.argv[sys.argv.index("--env-file") + 1]
with open(env_file + ".pids", "w") as out:
    out.write(f"{os.getpid()} {server.pid}")
with open(env_file, "w") as out:
    out.write("export MPPHUB_NATIONAL_URL=http://127.0.0.1:1\\n")
try:
    time.sleep(600)
except KeyboardInterrupt:
    server.terminate()
    server.wait()
    sys.exit(130)
"""


def _scratch_tree(tmp_path: Path) -> Path:
    """A copy of the script in ``tmp_path/deploy`` with stand-in programs in ``tmp_path/.venv/bin``."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(SCRIPT, tmp_path / "deploy" / SCRIPT.name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, body in (("airflow", FAKE_AIRFLOW), ("mpphub", FAKE_MPPHUB)):
        (bin_dir / name).write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    # `python -m mpphub_airflow.pools ...` (creating the region pools) succeeds without doing anything
    (bin_dir / "python").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    for program in bin_dir.iterdir():
        program.chmod(0o755)
    return tmp_path / "deploy" / SCRIPT.name


def _running(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _session_members(*sessions: int) -> list[int]:
    """Live processes whose session id is one of ``sessions``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] != "Z" and int(fields[3]) in sessions:  # state, ppid, pgrp, session
                found.append(int(entry.name))
    return found


class Run:
    """The script started as `make airflow` from a terminal would be; its output in a file (a pipe would
    stay open as long as any leftover process holds it). ``close()`` SIGKILLs whatever it knows of that is
    still running, so a failing test leaves nothing behind either."""

    def __init__(self, tmp_path: Path, piped: bool = False) -> None:
        self.state = tmp_path / ".mpphub" / "airflow"
        self.log = tmp_path / "script.log"
        env = {
            **os.environ,
            "MPPHUB_STOP_TIMEOUT": "2",
            "TASK_PID_FILE": str(self.state / "task.pid"),
            "AIRFLOW_PORT": "18080",
        }
        with self.log.open("w", encoding="utf-8") as log:
            # its own session, as a terminal's shell gives `make airflow` its own foreground process group
            script = str(_scratch_tree(tmp_path))
            # piped: `make airflow | cat`, whose reader Ctrl-C ends too (the script then writes into a closed pipe)
            command = ["bash", "-c", 'bash "$0" 2>&1 | cat', script] if piped else ["bash", script]
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.sessions: list[int] = []
        self.pids: dict[str, int] = {}

    def wait_until_up(self, timeout: float = 30.0) -> dict[str, int]:
        """Wait for the stand-in standalone's task; the pids of every process started, by role."""
        ready = self.state / "standalone-pids.json"
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.process.poll() is not None:
                pytest.fail(f"the script ended early ({self.process.returncode}): {self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"not up within {timeout:.0f} s: {self.output()}")
            time.sleep(0.1)
        time.sleep(0.2)  # written in full
        pids = json.loads(ready.read_text(encoding="utf-8"))
        sandbox, server = (int(p) for p in (self.state / "sandbox.env.pids").read_text(encoding="ascii").split())
        self.sessions = [pids["standalone"], sandbox]
        self.pids = {
            "standalone": pids["standalone"],
            "component": pids["components"][0],
            "component 2": pids["components"][1],
            "task": int((self.state / "task.pid").read_text(encoding="ascii")),
            "sandbox": sandbox,
            "sandbox server": server,
        }
        return self.pids

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in {*_session_members(*self.sessions), *(p for p in self.pids.values() if _running(p))}:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    started = Run(tmp_path)
    yield started
    started.close()


def test_ctrl_c_leaves_no_process_of_airflow_or_the_sandbox(run: Run) -> None:
    pids = run.wait_until_up()
    everything = list(pids.values())
    assert all(_running(p) for p in everything)
    # each in a session of its own (not the script's): the terminal's Ctrl-C reaches only the script
    assert os.getsid(pids["standalone"]) == pids["standalone"] and os.getsid(pids["sandbox"]) == pids["sandbox"]
    assert os.getsid(pids["task"]) == pids["standalone"], "the task is in standalone's session"
    assert os.getpgid(pids["task"]) == pids["task"], "... but in a process group of its own"
    assert set(everything) <= set(_session_members(*run.sessions))

    started = time.monotonic()
    os.killpg(run.process.pid, signal.SIGINT)  # Ctrl-C: SIGINT to the foreground process group
    code = run.process.wait(timeout=30)
    took = time.monotonic() - started
    assert code == 130, run.output()
    left = {role: p for role, p in pids.items() if _running(p)}
    # the task ignores INT and TERM: only the SIGKILL after MPPHUB_STOP_TIMEOUT (2 s) + 5 s ends it
    assert not left and not _session_members(*run.sessions), f"still running after Ctrl-C: {left}"
    assert 2 <= took < 15, took
    assert "stopping Airflow and the sandbox" in run.output()


def test_ctrl_c_with_the_output_piped_leaves_nothing_either(tmp_path: Path) -> None:
    run = Run(tmp_path, piped=True)
    try:
        pids = run.wait_until_up()
        os.killpg(run.process.pid, signal.SIGINT)
        run.process.wait(timeout=30)
        deadline = time.monotonic() + 15  # the script may outlive the pipeline's last process a moment
        while _session_members(*run.sessions) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = {role: p for role, p in pids.items() if _running(p)}
        assert not left and not _session_members(*run.sessions), f"still running after Ctrl-C: {left}"
    finally:
        run.close()


def test_sigterm_stops_everything_too(run: Run) -> None:
    pids = run.wait_until_up()
    run.process.terminate()  # e.g. a service manager stopping it
    assert run.process.wait(timeout=30) == 143, run.output()
    assert not [p for p in pids.values() if _running(p)]
    assert not _session_members(*run.sessions)


def test_the_api_server_listens_on_loopback_only(run: Run) -> None:
    run.wait_until_up()
    env = json.loads((run.state / "standalone-env.json").read_text(encoding="utf-8"))
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__PORT"] == "18080"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    # and Airflow reads it so: the api-server's --host default comes from [api] host
    pytest.importorskip("airflow")
    airflow_env = {k: v for k, v in env.items() if k.startswith(("AIRFLOW", "PATH", "HOME"))}
    done = subprocess.run(
        [sys.executable, "-c", "from airflow.configuration import conf; print(conf.get('api', 'host'))"],
        env=airflow_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "127.0.0.1"
