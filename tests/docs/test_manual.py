"""The manual stays navigable and complete: the README is short and links into docs/, every link between
the pages resolves, every ``MPPHUB_*`` variable the code reads is in the one settings table, every
``mpphub`` command is in the CLI reference, and the pre-commit hook manifest runs ``mpphub validate``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with Airflow; its stubs are not worth a dependency

from tests.conftest import REPO

DOCS = REPO / "docs"
README = REPO / "README.md"
# a variable name, not the tail of another one (AIRFLOW_CONN_MPPHUB_<REF> names Connections, not settings)
VARIABLE = re.compile(r"(?<![A-Z0-9_])MPPHUB_[A-Z][A-Z0-9_]*")
# where settings are read: production code, Airflow, deployment, the tests' own switches
SCANNED = ("hub", "connectors", "registry", "sandbox", "dags", "bench", "deploy", "tests")
SCANNED_FILES = ("docker-compose.yml", "Makefile", ".env.example")
LINK = re.compile(r"\]\(([^)\s]+)\)")
# the set-up commands CI (.ci/run: `make test`) and the team rely on, exactly as written
SETUP = """```sh
make demo   # the hub's main job on its embedded default (about 40 s)
make test   # ruff, mypy and pytest on 2 workers (about 16 minutes on 2 cores; uses this machine's PostgreSQL, MariaDB,
            # Redis, and Debian's chromium for the dashboard's browser tests: .ci/run installs it)
```"""


def _pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def _settings_table() -> set[str]:
    """The variables of the first column of docs/operations.md's settings table."""
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(MPPHUB_[A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


def test_readme_is_short_and_keeps_the_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 210
    assert SETUP in text
    for audience in ("Regional IT team", "National coordinator", "Hub operator", "Hub developer"):
        assert f"**{audience}**" in text, audience
    assert "## Dependencies, and why each is there" in text


def test_readme_links_every_page_of_the_manual() -> None:
    text = README.read_text(encoding="utf-8")
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "README.md":
            assert f"({page.name})" in index, f"docs/README.md does not list {page.name}"
    linked = {target.split("#")[0] for target in LINK.findall(text)}
    assert {"docs/README.md", "docs/design.md", "docs/format.md", "docs/cli.md", "docs/operations.md"} <= linked


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.name)
def test_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


def test_every_setting_is_in_the_one_table() -> None:
    read = set()
    for folder in SCANNED:
        for path in (REPO / folder).rglob("*"):
            if (
                path.suffix in (".py", ".sh", ".yml", ".yaml", "")
                and path.is_file()
                and "__pycache__" not in path.parts
            ):
                read.update(VARIABLE.findall(path.read_text(encoding="utf-8", errors="replace")))
    for name in SCANNED_FILES:
        read.update(VARIABLE.findall((REPO / name).read_text(encoding="utf-8")))
    from hub.settings import Settings

    read.update(f"MPPHUB_{field.upper()}" for field in Settings.model_fields)
    table = _settings_table()
    assert len(table) > 20, "the settings table was not found"
    assert not read - table, f"MPPHUB_* variables missing from docs/operations.md's table: {sorted(read - table)}"
    assert not table - read, f"docs/operations.md lists variables nothing reads: {sorted(table - read)}"


def test_every_command_is_in_the_cli_reference() -> None:
    from hub.cli import COMMANDS

    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"mpphub {name}" not in reference]
    assert not missing, f"docs/cli.md does not describe: {missing}"


def test_pre_commit_hook_runs_mpphub_validate_on_packages() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [hook for hook in hooks if hook["id"] == "mpphub-validate"]
    assert hook["entry"] == "mpphub validate"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("registry/packages/35.76/akta-kelahiran.json")
    assert files.search("registry/templates/nasional/izin-penelitian.json")
    # the registry's own files are never a package to validate
    assert not files.search("registry/index.json")
    assert not files.search("registry/published/35.76/akta-kelahiran/1.0.0.json")
    assert "mpphub-validate" in (DOCS / "cli.md").read_text(encoding="utf-8")
