"""Attack drill (issue 16): a hub is deployed to production with the public defaults — the development
hash key published in this repository and the sandbox's national token. With the public key, anyone with
the ledger's keyed NIK hashes and their masked forms recovers the NIKs by brute force.

Under production settings (``MPPHUB_ENV=production``, or a host policy ``MPPHUB_ALLOWED_HOSTS``)
``mpphub serve`` and ``mpphub sync`` must refuse to start — exit code != 0, a clear message naming the
setting, never its value — before they open the ledger or bind a port. With real values they pass the
guard (the control arm). Before the fix both started with the defaults.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from connectors.production import DEVELOPMENT_HASH_KEY, SANDBOX_NATIONAL_TOKEN
from tests.conftest import REPO

REAL_KEY = "k9Vx2QpL7tRz4WmN8bYc3HsD6fJg1KaE"  # 32 characters: what production must set
REAL_TOKEN = "national-token-from-the-vault"  # noqa: S105 - a stand-in, never sent anywhere
HASH_MESSAGE = "MPPHUB_HASH_KEY must be set to a secret of at least 32 random characters"
TOKEN_MESSAGE = "MPPHUB_NATIONAL_TOKEN must be set to the national layer's real token"  # noqa: S105 - a message

# (name, environment, messages expected)
REFUSED: list[tuple[str, dict[str, str], list[str]]] = [
    ("production-defaults", {"MPPHUB_ENV": "production"}, [HASH_MESSAGE, TOKEN_MESSAGE]),
    (
        "prod-explicit-defaults",
        {
            "MPPHUB_ENV": "prod",
            "MPPHUB_HASH_KEY": DEVELOPMENT_HASH_KEY,
            "MPPHUB_NATIONAL_TOKEN": SANDBOX_NATIONAL_TOKEN,
        },
        [HASH_MESSAGE, TOKEN_MESSAGE],
    ),
    ("host-policy-defaults", {"MPPHUB_ALLOWED_HOSTS": "*.go.id"}, [HASH_MESSAGE, TOKEN_MESSAGE]),
    ("real-token-public-key", {"MPPHUB_ENV": "production", "MPPHUB_NATIONAL_TOKEN": REAL_TOKEN}, [HASH_MESSAGE]),
    (
        "short-key",
        {"MPPHUB_ENV": "production", "MPPHUB_NATIONAL_TOKEN": REAL_TOKEN, "MPPHUB_HASH_KEY": "short-secret"},
        [HASH_MESSAGE],
    ),
    ("real-key-sandbox-token", {"MPPHUB_ENV": "Production", "MPPHUB_HASH_KEY": REAL_KEY}, [TOKEN_MESSAGE]),
    (
        "real-key-blank-token",
        {"MPPHUB_ENV": "production", "MPPHUB_HASH_KEY": REAL_KEY, "MPPHUB_NATIONAL_TOKEN": "   "},
        [TOKEN_MESSAGE],
    ),
]
REAL = {"MPPHUB_ENV": "production", "MPPHUB_HASH_KEY": REAL_KEY, "MPPHUB_NATIONAL_TOKEN": REAL_TOKEN}
SETTINGS = ("MPPHUB_ENV", "MPPHUB_HASH_KEY", "MPPHUB_NATIONAL_TOKEN", "MPPHUB_ALLOWED_HOSTS")


def _environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


class Reached(Exception):
    """Raised by a stand-in for what a command does right after the guard."""


@pytest.fixture
def after_the_guard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What serve and sync do right after the guard (open the ledger, build the sync context), replaced by
    recorders: the list says which command got past its guard."""
    reached: list[str] = []

    def open_ledger(*args: Any, **kwargs: Any) -> Any:
        reached.append("serve")
        raise Reached("serve opened the ledger")

    def build_context(*args: Any, **kwargs: Any) -> Any:
        reached.append("sync")
        raise OperationalError("past the guard", None, Exception("stand-in: no ledger in this drill"))

    monkeypatch.setattr("hub.commands._ledger.open_ledger", open_ledger)
    monkeypatch.setattr("hub.wiring.build_context", build_context)
    return reached


def _run(cli: Any, command: str) -> Any:
    args = ["serve", "--host", "127.0.0.1", "--port", "0"] if command == "serve" else ["sync"]
    try:
        return cli(*args)
    except Reached:
        return None


@pytest.mark.parametrize("command", ["serve", "sync"])
@pytest.mark.parametrize(("name", "env", "messages"), REFUSED, ids=[r[0] for r in REFUSED])
def test_production_refuses_public_defaults(
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    after_the_guard: list[str],
    command: str,
    name: str,
    env: dict[str, str],
    messages: list[str],
) -> None:
    """Attack: start ``command`` under production settings with a public (or too short) secret."""
    _environment(monkeypatch, env)
    result = _run(cli, command)
    assert result is not None and after_the_guard == [], f"{command} got past the guard ({name})"
    assert result.code != 0
    for message in messages:
        assert f"mpphub {command}: {message}" in result.err, result.err
    assert len([line for line in result.err.splitlines() if line.strip()]) == len(messages), result.err
    for value in env.values():
        if value not in ("production", "prod", "Production", "*.go.id", "   "):
            assert value not in result.err + result.out, "a refused secret's value was printed"


@pytest.mark.parametrize("command", ["serve", "sync"])
def test_real_values_pass_the_guard(
    cli: Any, monkeypatch: pytest.MonkeyPatch, after_the_guard: list[str], command: str
) -> None:
    """Control: production with a 32-character key and a real token goes on to open the ledger."""
    _environment(monkeypatch, {**REAL, "MPPHUB_ALLOWED_HOSTS": "*.go.id"})
    result = _run(cli, command)
    assert after_the_guard == [command]
    if result is not None:
        assert "must be set" not in result.err


@pytest.mark.parametrize("command", ["serve", "sync"])
def test_development_defaults_still_start(
    cli: Any, monkeypatch: pytest.MonkeyPatch, after_the_guard: list[str], command: str
) -> None:
    """Control: the embedded default (no MPPHUB_ENV, no host policy) keeps its public defaults and starts."""
    _environment(monkeypatch, {})
    _run(cli, command)
    assert after_the_guard == [command]


@pytest.mark.parametrize("command", ["serve", "sync"])
def test_the_installed_command_refuses_with_defaults(command: str, tmp_path: Any) -> None:
    """Attack through the real entry point (a subprocess, as an operator starts it): exit 2, the message,
    and serve never listens (the test would time out instead)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPPHUB_")}  # defaults: loopback only
    env.update({"MPPHUB_ENV": "production", "MPPHUB_LEDGER_URL": f"sqlite:///{tmp_path / 'ledger.db'}"})
    args = ["serve", "--host", "127.0.0.1", "--port", "0"] if command == "serve" else ["sync"]
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"mpphub {command}: {HASH_MESSAGE}" in done.stderr
    assert f"mpphub {command}: {TOKEN_MESSAGE}" in done.stderr
    assert "mpp-hub API on" not in done.stdout
    assert not (tmp_path / "ledger.db").exists(), "the ledger was opened before the refusal"
