"""Secure by default (issue 13, item 3): with no host policy configured (``MPPHUB_ALLOWED_HOSTS`` unset) the
hub refuses endpoints on loopback, private, shared (CGNAT), link-local, unique-local and unspecified
addresses — in every spelling, and names that resolve there — on the runtime path (every HTTP call of a
connector, the OAuth token endpoint, a ``sql`` package's database host) and in ``mpphub validate`` /
``publish`` / ``check``, before any connection is dialled. ``MPPHUB_ALLOW_LOOPBACK=1`` opts in to loopback
only; ``MPPHUB_ALLOWED_HOSTS`` allows private ranges explicitly.

The suite opts in to loopback (tests/conftest.py): every test here starts by clearing both settings.
Tests never send traffic to a non-loopback address: public answers of the stub resolver are judged by
the policy only, with dialling made to fail the test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3.util.connection

from connectors.auth import build_auth
from connectors.errors import FatalError
from connectors.national import NationalClient
from connectors.secrets import StaticSecrets
from connectors.sql_guard import check_database_url
from connectors.url_policy import HostPolicy, host_policy, loopback_allowed
from hub.demo import loopback_opt_in
from hub.settings import Settings
from hub.wiring import connector_factory
from tests.conftest import REPO
from tests.drills.traps import Trap

# every spelling of a loopback address (the C resolver reads 127.1, 0x7f000001, 2130706433 and
# 017700000001 as 127.0.0.1; 0.0.0.0 and :: reach this machine too)
LOOPBACK = [
    "127.0.0.1",
    "127.1",
    "0x7f000001",
    "2130706433",
    "017700000001",
    "0177.0.0.1",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "localhost",
    "LOCALHOST",
    "localhost.",
    "api.localhost",
    "0.0.0.0",  # noqa: S104 - a target spelling, nothing binds here
    "[::]",
]
# private, shared, link-local, unique-local, in plain and IPv4-mapped or hidden spellings
NON_PUBLIC = [
    "10.0.0.1",
    "10.20.3.4",
    "172.16.5.4",
    "172.31.255.254",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "[fe80::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:192.168.0.1]",
    "[::ffff:a9fe:a9fe]",
    "0xa000001",  # 10.0.0.1
    "167772161",  # 10.0.0.1
    "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
]
# names and what the stub resolver answers for them
RESOLVES = {
    "sandbox.example.go.id": ["127.0.0.1"],
    "mapped.example.go.id": ["::ffff:127.0.0.1"],
    "six.example.go.id": ["::1"],
    "intranet.example.go.id": ["10.1.2.3"],
    "cgnat.example.go.id": ["100.64.7.8"],
    "metadata.example.go.id": ["169.254.169.254"],
    "ula.example.go.id": ["fd00::5"],
    "split.example.go.id": ["203.0.114.9", "192.168.4.4"],  # one public, one private answer: refused
    "public.example.go.id": ["203.0.114.9"],
    "public6.example.go.id": ["2600:1f18::1"],
    "public-both.example.go.id": ["93.184.215.14", "2606:2800:21f:cb07::1"],
}
LOOPBACK_NAMES = ["sandbox.example.go.id", "mapped.example.go.id", "six.example.go.id"]
NON_PUBLIC_NAMES = [
    "intranet.example.go.id",
    "cgnat.example.go.id",
    "metadata.example.go.id",
    "ula.example.go.id",
    "split.example.go.id",
]
PUBLIC_NAMES = ["public.example.go.id", "public6.example.go.id", "public-both.example.go.id"]
SECRETS = StaticSecrets({"R3576_DISPENDUK_TOKEN": "drill-token"})
SQL_PACKAGE = REPO / "registry" / "packages" / "35.76" / "surat-keterangan-tidak-mampu.json"


@pytest.fixture(autouse=True)
def no_host_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded default with nothing configured: no list, no loopback opt-in."""
    monkeypatch.delenv("MPPHUB_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("MPPHUB_ALLOW_LOOPBACK", raising=False)


class Dialling:
    """What the stub network saw: names looked up, connections attempted (must stay empty)."""

    def __init__(self) -> None:
        self.lookups: list[str] = []
        self.connections: list[Any] = []


@pytest.fixture
def no_dial(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dialling]:
    """A stub resolver (``RESOLVES``; every other name does not resolve) and a network that records and
    refuses every connection: a refusal must come before dialling, and nothing leaves the machine."""
    seen = Dialling()

    def resolve(host: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        seen.lookups.append(name)
        if name not in RESOLVES:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in RESOLVES[name]
        ]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        seen.connections.append(args)
        raise AssertionError(f"a connection was dialled: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    yield seen
    assert seen.connections == [], "a connection was dialled"


def _rest_connector(package: dict[str, Any], base_url: str, allowed: str = "") -> Any:
    """A connector built the way ``mpphub sync`` builds it (``hub.wiring``), aimed at ``base_url``."""
    package = json.loads(json.dumps(package))
    package["local_system"]["base_url"] = base_url
    national = NationalClient("http://127.0.0.1:9", "unused")
    connector: Any = connector_factory(Settings(allowed_hosts=allowed), SECRETS, national)(package)
    connector.client.timeout = 5.0
    return connector


def _pull(connector: Any) -> list[Any]:
    return [record for page in connector.status_changes(None) for record in page]


# --- the runtime policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", LOOPBACK)
def test_every_spelling_of_loopback_is_refused_without_a_lookup(host: str, no_dial: Dialling) -> None:
    policy = host_policy("")
    with pytest.raises(FatalError, match=r"loopback|unspecified") as refused:
        policy(f"https://{host}/api")
    assert "MPPHUB_ALLOW_LOOPBACK=1" in str(refused.value)
    assert no_dial.lookups == [], "address literals and localhost are judged without DNS"


@pytest.mark.parametrize("host", NON_PUBLIC)
def test_private_link_local_and_unique_local_addresses_are_refused(host: str, no_dial: Dialling) -> None:
    for allow_loopback in (False, True):  # the loopback opt-in never opens a private range
        with pytest.raises(FatalError, match="refused without a host policy"):
            host_policy("", allow_loopback)(f"https://{host}/api")
    assert no_dial.lookups == []


@pytest.mark.parametrize("name", LOOPBACK_NAMES + NON_PUBLIC_NAMES)
def test_a_name_resolving_to_a_non_public_address_is_refused(name: str, no_dial: Dialling) -> None:
    with pytest.raises(FatalError, match=rf"host {name} resolves to an? .* address \("):
        host_policy("")(f"https://{name}/api")
    assert no_dial.lookups == [name]


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_a_name_resolving_to_public_addresses_passes_the_policy(name: str, no_dial: Dialling) -> None:
    """Only the decision: the request itself is never sent (dialling would fail the test)."""
    host_policy("")(f"https://{name}/api")
    host_policy("").check_static(f"https://{name}/api")
    assert no_dial.lookups == [name]


def test_public_address_literals_pass_the_policy(no_dial: Dialling) -> None:
    for host in ("93.184.215.14", "[2606:2800:21f:cb07::1]", "[::ffff:93.184.215.14]", "1.1.1.1"):
        host_policy("")(f"https://{host}/api")
        host_policy("").check_static(f"https://{host}/api")
    assert no_dial.lookups == []


def test_the_loopback_opt_in_allows_loopback_only(no_dial: Dialling, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "1")
    assert loopback_allowed()
    policy = host_policy("")
    for host in [*LOOPBACK, *LOOPBACK_NAMES]:
        policy(f"http://{host}:8801/api")
    for host in ["10.0.0.1", "192.168.1.1", "[fd00::1]", "169.254.169.254", *NON_PUBLIC_NAMES]:
        with pytest.raises(FatalError, match="refused without a host policy"):
            policy(f"http://{host}/api")
    monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "0")
    assert not loopback_allowed()
    with pytest.raises(FatalError, match="loopback"):
        host_policy("")("http://127.0.0.1:8801/api")


def test_a_configured_list_allows_a_private_range_and_nothing_else(
    no_dial: Dialling, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MPPHUB_ALLOWED_HOSTS works as before; the loopback opt-in does not widen it."""
    monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "1")
    policy = host_policy("*.go.id,10.20.0.0/16")
    policy("https://10.20.3.4/api")
    policy("https://public.example.go.id/api")
    for url in ("https://10.21.0.1/api", "https://127.0.0.1/api", "https://intranet.example.go.id/api"):
        with pytest.raises(FatalError, match=r"not in the allowed hosts|non-public address"):
            policy(url)


# --- every HTTP call of a connector ---------------------------------------------------------------------


@pytest.mark.parametrize("host", [*LOOPBACK, *NON_PUBLIC[:9], *LOOPBACK_NAMES, *NON_PUBLIC_NAMES])
def test_the_sync_connector_refuses_before_dialling(host: str, good_doc: dict[str, Any], no_dial: Dialling) -> None:
    connector = _rest_connector(good_doc, f"https://{host}/api")
    with pytest.raises(FatalError, match="refused without a host policy"):
        _pull(connector)
    with pytest.raises(FatalError, match="refused without a host policy"):
        connector.submit({"id": "MPP-1", "submitted_at": "2026-01-05T08:00:00+07:00", "channel": "web"}, {})


def test_a_real_loopback_server_hears_nothing_unless_the_hub_opts_in(
    good_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    trap = Trap("127.0.0.1")
    try:
        for spelling in ("127.0.0.1", "127.1", "2130706433", "localhost"):
            with pytest.raises(FatalError, match="refused without a host policy"):
                _pull(_rest_connector(good_doc, f"http://{spelling}:{trap.port}/api"))
        assert trap.heard == []
        monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "1")  # control: the opt-in reaches it
        _pull(_rest_connector(good_doc, f"{trap.url}/api"))
        assert len(trap.heard) == 1
    finally:
        trap.stop()


def test_the_oauth_token_endpoint_is_judged_too(no_dial: Dialling) -> None:
    secrets = StaticSecrets({"R_ID": "client", "R_SECRET": "secret"})
    for url in ("https://127.1/token", "https://10.0.0.7/token", "https://metadata.example.go.id/token"):
        spec = {
            "type": "oauth2_client_credentials",
            "token_url": url,
            "client_id_ref": "R_ID",
            "client_secret_ref": "R_SECRET",
        }
        auth: Any = build_auth(spec, secrets, 5.0, host_policy(""))
        with pytest.raises(FatalError, match="refused without a host policy"):
            auth.token()


@pytest.mark.parametrize(
    "database_url",
    [
        "mysql+pymysql://u:p@127.0.0.1:3306/x",
        "mysql+pymysql://u:p@localhost:3306/x",
        "postgresql+psycopg://u:p@[::1]:5432/x",
        "postgresql+psycopg://u:p@10.0.0.5:5432/x",
        "postgresql+psycopg://u:p@intranet.example.go.id:5432/x",
    ],
)
def test_a_sql_package_host_is_refused_before_connecting(database_url: str, no_dial: Dialling) -> None:
    package = json.loads(SQL_PACKAGE.read_text(encoding="utf-8"))
    secrets = StaticSecrets({package["local_system"]["connection_ref"]: database_url})
    national = NationalClient("http://127.0.0.1:9", "unused")
    with pytest.raises(FatalError, match="refused without a host policy"):
        connector_factory(Settings(), secrets, national)(package)
    with pytest.raises(FatalError, match="refused without a host policy"):
        check_database_url(database_url, host_policy(""), None)


def test_a_sql_host_on_loopback_passes_with_the_opt_in(no_dial: Dialling) -> None:
    check_database_url("mysql+pymysql://u:p@127.0.0.1:3306/x", host_policy("", allow_loopback=True), None)
    with pytest.raises(FatalError, match="private address"):
        check_database_url("mysql+pymysql://u:p@192.168.3.3:3306/x", host_policy("", allow_loopback=True), None)


# --- mpphub validate, publish, check ---------------------------------------------------------------------


def _host_problems(result: Any) -> list[dict[str, str]]:
    return [p for p in result.json() if p["rule"] == "endpoint-allowed-host"]


@pytest.mark.parametrize("host", LOOPBACK + NON_PUBLIC)
def test_validate_refuses_every_spelling_at_the_base_url(
    host: str, good_doc: dict[str, Any], write_package: Callable[..., Path], cli: Any, no_dial: Dialling
) -> None:
    good_doc["local_system"]["base_url"] = f"https://{host}/api"
    result = cli("validate", write_package(good_doc), "--format", "json")
    assert result.code == 1, result.out
    [problem] = _host_problems(result)
    assert problem["path"] == "$.local_system.base_url"
    hint = "MPPHUB_ALLOW_LOOPBACK=1" if host in LOOPBACK else "MPPHUB_ALLOWED_HOSTS"
    assert "refused without a host policy" in problem["message"] and hint in problem["message"]
    assert no_dial.lookups == []


def test_validate_says_how_to_opt_in(
    good_doc: dict[str, Any], write_package: Callable[..., Path], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    good_doc["local_system"]["base_url"] = "https://127.0.0.1:8801/api"
    path = write_package(good_doc)
    result = cli("validate", path)
    assert result.code == 1
    assert (
        f"{path}::$.local_system.base_url: host 127.0.0.1 is a loopback address, refused without a host policy: "
        "set MPPHUB_ALLOW_LOOPBACK=1 to allow loopback (for the sandbox or a dry run on this machine)"
    ) in result.out
    monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "1")
    assert cli("validate", path).code == 0, "the opt-in lets loopback through"
    good_doc["local_system"]["base_url"] = "https://10.20.3.4/api"
    private = write_package(good_doc)
    result = cli("validate", private)
    assert result.code == 1, "but never a private range"
    assert "to allow it, list its network in MPPHUB_ALLOWED_HOSTS (e.g. 10.20.0.0/16)" in result.out
    monkeypatch.setenv("MPPHUB_ALLOWED_HOSTS", "*.go.id,10.20.0.0/16")
    assert cli("validate", private).code == 0, result.out


def test_validate_accepts_the_sample_registry_without_any_opt_in(cli: Any) -> None:
    """The shipped packages name public hosts: `make demo`'s first step passes under the secure default."""
    result = cli("validate", REPO / "registry", "--format", "json")
    assert result.code == 0, result.out[:2000]


def test_publish_refuses_a_loopback_endpoint_without_the_opt_in(
    good_doc: dict[str, Any], tmp_path: Path, cli: Any, no_dial: Dialling
) -> None:
    good_doc["local_system"]["base_url"] = "https://127.0.0.1:5432/api/v1"
    source = tmp_path / "registry" / "packages" / "35.76" / "akta-kelahiran.json"
    source.parent.mkdir(parents=True)
    source.write_text(json.dumps(good_doc), encoding="utf-8")
    result = cli("publish", "--registry", tmp_path / "registry", source)
    assert result.code == 1, result.out
    assert "$.local_system.base_url" in result.out and "MPPHUB_ALLOW_LOOPBACK=1" in result.out
    assert not (tmp_path / "registry" / "index.json").exists()


def test_check_refuses_a_loopback_local_system_without_the_opt_in(cli: Any, no_dial: Dialling) -> None:
    package = REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json"
    result = cli("check", package, "--local-url", "http://127.0.0.1:9", "--format", "json")
    assert result.code == 1
    steps = {step["name"]: step for step in result.json()["steps"]}
    assert steps["host policy"]["outcome"] == "failed"
    assert "MPPHUB_ALLOW_LOOPBACK=1" in steps["host policy"]["detail"]
    assert "status feed" not in steps, "nothing after the refusal was tried"


# --- the places that opt in ------------------------------------------------------------------------------


def test_the_demo_opts_in_while_it_runs_and_restores_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with loopback_opt_in():
        assert loopback_allowed()
        host_policy("")("http://127.0.0.1:8700/api")
    assert not loopback_allowed()
    monkeypatch.setenv("MPPHUB_ALLOW_LOOPBACK", "yes")
    with loopback_opt_in():
        assert loopback_allowed()
    assert loopback_allowed() and isinstance(host_policy(""), HostPolicy)


def test_the_benchmarks_that_sync_sandbox_systems_opt_in_themselves() -> None:
    """They run outside pytest (`make bench`), so they cannot rely on tests/conftest.py. (The sandbox's
    printed environment is checked by tests/cli/test_cli_sandbox_and_sync.py, the demo by tests/hub/test_demo.py,
    both with the suite's opt-in removed.)"""
    for bench in ("drill_load.py", "national_cycle.py", "sync_throughput.py"):
        text = (REPO / "bench" / bench).read_text(encoding="utf-8")
        assert 'os.environ["MPPHUB_ALLOW_LOOPBACK"] = "1"' in text, bench
