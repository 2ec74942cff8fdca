"""`mpphub check PACKAGE --local-url URL [--write]` against real local systems: the two REST styles on
loopback and a real MariaDB database laid out by the sandbox. Read-only by default (the local system's
truth shows nothing created); --write creates exactly one test application and finds it again."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.local.sql_tables import SqlLocalSystem
from tests.conftest import REPO, CliResult

PACKAGES = REPO / "registry" / "packages"
STYLE_A = PACKAGES / "35.76" / "akta-kelahiran.json"  # bearer token, Idempotency-Key
STYLE_B = PACKAGES / "35.78" / "surat-keterangan-pindah.json"  # API key, lookup by reference
SQL = PACKAGES / "35.76" / "surat-keterangan-tidak-mampu.json"  # MariaDB tables with walk-ins


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch, local_rest_indonesian: Any, local_rest_cursor: Any) -> None:
    monkeypatch.delenv("MPPHUB_ALLOWED_HOSTS", raising=False)
    for name, value in {**local_rest_indonesian.secrets, **local_rest_cursor.secrets}.items():
        monkeypatch.setenv(name, value)


def _steps(result: CliResult) -> dict[str, dict[str, str]]:
    return {step["name"]: step for step in result.json()["steps"]}


def test_read_only_check_passes_and_creates_nothing(
    secrets_env: None, local_rest_indonesian: Any, cli: Callable[..., CliResult]
) -> None:
    local_rest_indonesian.walk_ins(1)
    local_rest_indonesian.step(3)  # the officers' feed is not empty
    before = local_rest_indonesian.truth()["submissions"]["created_per_national_id"]
    result = cli("check", STYLE_A, "--local-url", local_rest_indonesian.url, "--format", "json")
    assert result.code == 0, result.out
    steps = _steps(result)
    # the host policy always applies (the secure default when MPPHUB_ALLOWED_HOSTS is unset; the suite
    # opts in to loopback)
    assert {name: s["outcome"] for name, s in steps.items()} == {
        "package": "ok",
        "host policy": "ok",
        "credentials": "ok",
        "status feed": "ok",
        "date round-trip": "skipped",  # no application yet: the first page is empty
        "walk-in feed": "skipped",
        "error answer": "ok",  # a wrong bearer token: HTTP 401, the errors table says fatal
        "lookup": "skipped",
        "submit encoding": "ok",  # built and shown, not sent
        "submit": "skipped",
    }
    assert list(steps)[3:6] == ["status feed", "date round-trip", "walk-in feed"]
    assert "refused, read as fatal" in steps["error answer"]["detail"]
    assert "POST /permohonan as application/json (json)" in steps["submit encoding"]["detail"]
    assert "pelapor.nik" in steps["submit encoding"]["detail"]
    assert "R3576_DISPENDUK_TOKEN" in steps["credentials"]["detail"]
    assert "sandbox-local-token" not in result.out  # names, never values
    assert local_rest_indonesian.truth()["submissions"]["created_per_national_id"] == before


def test_write_creates_one_test_application_and_finds_it_by_lookup(
    secrets_env: None, local_rest_cursor: Any, cli: Callable[..., CliResult]
) -> None:
    result = cli("check", STYLE_B, "--local-url", local_rest_cursor.url, "--write", "--seed", "7")
    assert result.code == 0, result.out
    assert "[ok  ] lookup: an unknown national id (CHECK-" in result.out
    assert "found again by lookup" in result.out and "all steps passed" in result.out
    created = local_rest_cursor.truth()["submissions"]["created_per_national_id"]
    assert len(created) == 1 and all(k.startswith("CHECK-") and n == 1 for k, n in created.items())


def test_sql_package_against_a_real_mariadb(
    local_mariadb_db: str, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MPPHUB_ALLOWED_HOSTS", raising=False)
    package = json.loads(SQL.read_text(encoding="utf-8"))
    system = SqlLocalSystem(local_mariadb_db, [package], seed=3)
    system.create_schema()
    system.create_walk_ins(2)
    result = cli("check", SQL, "--local-url", local_mariadb_db, "--write", "--format", "json")
    assert result.code == 0, result.out
    steps = _steps(result)
    assert steps["walk-in feed"]["detail"] == "first page: 2 walk-in(s)"
    assert steps["submit"]["outcome"] == "ok"
    # what has no meaning for database tables says so, and why
    for name in ("date round-trip", "error answer", "submit encoding"):
        assert steps[name]["outcome"] == "skipped" and steps[name]["detail"].startswith("sql: "), steps[name]
    assert len(system.truth()[package["id"]]["created_per_national_id"]) == 1


def test_unknown_status_codes_are_a_warning(
    secrets_env: None, local_rest_indonesian: Any, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    doc = json.loads(STYLE_A.read_text(encoding="utf-8"))
    seeded = cli("check", STYLE_A, "--local-url", local_rest_indonesian.url, "--write")  # one application
    assert seeded.code == 0, seeded.out
    local_rest_indonesian.step(4, package_id=doc["id"])
    codes = {c["status"] for c in local_rest_indonesian.truth()["status_changes"] if c["package_id"] == doc["id"]}
    assert codes
    narrowed = copy.deepcopy(doc)
    dropped = sorted(codes)[0]
    # a typo in the package: the code is spelled differently in its status map
    narrowed["local_system"]["status_map"] = {
        (f"{k}_TYPO" if k == dropped else k): v for k, v in doc["local_system"]["status_map"].items()
    }
    target = tmp_path / "packages" / "35.76" / "akta-kelahiran.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(narrowed), encoding="utf-8")
    result = cli("check", target, "--local-url", local_rest_indonesian.url, "--format", "json")
    steps = _steps(result)
    assert steps["package"]["outcome"] == "ok", steps["package"]
    assert result.code == 0  # a warning, not a failure: the team decides
    assert steps["status feed"]["outcome"] == "warning"
    assert f"status codes missing from status_map: {dropped}" in steps["status feed"]["detail"]
    # the sandbox writes RFC 3339 times with their offset: each reads, and each cursor comes back as it was
    assert steps["date round-trip"]["outcome"] == "ok", steps["date round-trip"]
    assert "every changed_at reads as ISO 8601 in WIB" in steps["date round-trip"]["detail"]


@pytest.mark.parametrize(
    ("setup", "step", "message"),
    [
        ("no_secret", "credentials", "not set: R3576_DISPENDUK_TOKEN (environment variables)"),
        ("wrong_secret", "status feed", "fatal:"),
        ("nothing_listens", "status feed", "retriable:"),
        ("policy", "host policy", "not in the allowed hosts"),
    ],
)
def test_each_failure_names_its_step(
    secrets_env: None,
    local_rest_indonesian: Any,
    cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    step: str,
    message: str,
) -> None:
    url = local_rest_indonesian.url
    if setup == "no_secret":
        monkeypatch.delenv("R3576_DISPENDUK_TOKEN")
    elif setup == "wrong_secret":
        monkeypatch.setenv("R3576_DISPENDUK_TOKEN", "not-the-token")
    elif setup == "nothing_listens":
        url = "http://127.0.0.1:9"
    else:
        monkeypatch.setenv("MPPHUB_ALLOWED_HOSTS", "*.go.id")
    result = cli("check", STYLE_A, "--local-url", url, "--format", "json")
    assert result.code == 1
    steps = _steps(result)
    assert steps[step]["outcome"] == "failed"
    assert message in steps[step]["detail"]
    assert "not-the-token" not in result.out


def test_an_invalid_package_stops_at_the_first_step(
    cli: Callable[..., CliResult], tmp_path: Path, good_doc: dict[str, Any]
) -> None:
    good_doc["local_system"]["kind"] = "soap"
    target = tmp_path / "packages" / "35.76" / "akta-kelahiran.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(good_doc), encoding="utf-8")
    result = cli("check", target, "--local-url", "http://127.0.0.1:9")
    assert result.code == 1
    assert "[FAIL] package: " in result.out and "some steps failed" in result.out
    assert result.out.count("[") == 1  # nothing else was tried


def test_missing_local_url_is_a_usage_error(cli: Callable[..., CliResult]) -> None:
    result = cli("check", STYLE_A)
    assert result.code == 2 and "--local-url" in result.err


@pytest.mark.parametrize("pattern", ["([a-", "^a{1000000}$"])
def test_check_refuses_a_form_that_cannot_compile_without_crashing(
    tmp_path: Path, secrets_env: None, local_rest_indonesian: Any, cli: Callable[..., CliResult], pattern: str
) -> None:
    """Issue 16: such forms used to pass validation and crash `mpphub check` (and the sync) later."""
    doc = json.loads(STYLE_A.read_text(encoding="utf-8"))
    doc["form"]["properties"]["nama_anak"]["pattern"] = pattern
    path = tmp_path / "35.76" / "akta-kelahiran.json"
    path.parent.mkdir()
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = cli("check", path, "--local-url", local_rest_indonesian.url, "--format", "json")
    assert result.code == 1, result.out + result.err
    package = _steps(result)["package"]
    assert package["outcome"] == "failed" and "nama_anak" in package["detail"], package
    assert "Traceback" not in result.out + result.err


def test_an_overlay_is_checked_as_it_composes(
    secrets_env: None,
    local_rest_indonesian: Any,
    cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An adopting package (template + connector profile + a 13-line overlay) is checked composed."""
    import shutil

    from registry.templates import forget_cached_templates

    forget_cached_templates()
    registry = tmp_path / "registry"
    shutil.copytree(REPO / "registry" / "templates", registry / "templates")
    for name in ("izin-penelitian", "sipena"):
        assert cli("publish", "--registry", registry, registry / "templates" / "nasional" / f"{name}.json").code == 0
    overlay = {
        "schema_version": "1",
        "id": "35.78/izin-penelitian",
        "version": "1.0.0",
        "region": "35.78",
        "extends": {
            "template": "nasional/izin-penelitian",
            "version": "1.0.0",
            "profile": {"template": "nasional/sipena", "version": "1.0.0"},
        },
        "service": {"agency": "Bakesbangpol Kota Surabaya", "description": {"id": "SKP Kota Surabaya.", "en": "SKP."}},
        "local_system": {"base_url": "https://sipena.surabaya.go.id/api/v1", "auth": {"secret_ref": "R3578_SIPENA"}},
        "contact": {"unit": "Bakesbangpol Kota Surabaya", "email": "bakesbangpol@surabaya.go.id"},
    }
    package = registry / "packages" / "35.78" / "izin-penelitian.json"
    package.parent.mkdir(parents=True)
    package.write_text(json.dumps(overlay), encoding="utf-8")
    monkeypatch.setenv("R3578_SIPENA", local_rest_indonesian.secrets["R3576_BAKESBANGPOL_TOKEN"])
    result = cli("check", package, "--local-url", local_rest_indonesian.url, "--format", "json")
    assert result.code == 0, result.out
    steps = _steps(result)
    assert "35.78/izin-penelitian 1.0.0 is valid (rest local system)" in steps["package"]["detail"]
    assert steps["status feed"]["outcome"] == "ok"
    del overlay["contact"]
    package.write_text(json.dumps(overlay), encoding="utf-8")
    refused = cli("check", package, "--local-url", local_rest_indonesian.url, "--format", "json")
    assert refused.code == 1 and "missing required field 'contact'" in _steps(refused)["package"]["detail"]
