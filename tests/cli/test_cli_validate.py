"""`mpphub validate`: output format, summary, JSON, exit codes, folders and cross-file rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO


def test_valid_file_exits_0_with_summary(good_doc: dict[str, Any], write_package: Any, cli: Any) -> None:
    result = cli("validate", write_package(good_doc))
    assert result.code == 0
    assert result.out == "1 file checked: all valid\n"


def test_every_problem_of_every_file_then_a_summary(good_doc: dict[str, Any], write_package: Any, cli: Any) -> None:
    good_doc["service"]["sla_working_days"] = 0
    good_doc["local_system"]["base_url"] = "http://capil.example.go.id"
    bad = write_package(good_doc)
    other = bad.parent / "kosong.json"
    other.write_text("")
    result = cli("validate", bad.parent)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[-1] == "3 problems in 2 of 2 files"
    assert (
        f"{bad}::$.service.sla_working_days: sla_working_days must be a whole number of working days from 1 to 365"
        in lines
    )
    assert any(line.startswith(f"{bad}::$.local_system.base_url: plain http") for line in lines)
    assert f"{other}::$: file is empty; a package is one JSON object" in lines


def test_json_format_lists_objects(good_doc: dict[str, Any], write_package: Any, cli: Any) -> None:
    good_doc["service"]["category"] = "lain"
    result = cli("validate", "--format", "json", write_package(good_doc))
    assert result.code == 1
    problems = result.json()
    assert isinstance(problems, list) and len(problems) == 1
    assert set(problems[0]) >= {"file", "path", "message", "rule"}
    assert problems[0]["path"] == "$.service.category"
    assert problems[0]["rule"] == "schema.enum"


def test_json_format_clean_is_an_empty_list(good_doc: dict[str, Any], write_package: Any, cli: Any) -> None:
    result = cli("validate", "--format", "json", write_package(good_doc))
    assert (result.code, result.json()) == (0, [])


def test_usage_errors_exit_2(cli: Any, tmp_path: Path) -> None:
    assert cli("validate").code == 2
    missing = cli("validate", tmp_path / "tidak-ada.json")
    assert missing.code == 2
    assert "no such file or folder" in missing.err
    assert cli("validate", "--format", "xml", tmp_path).code == 2
    assert cli("validate", "--jobs", "0", tmp_path).code == 2
    assert cli("nonsense").code == 2


def test_same_id_in_two_files_is_reported_on_both(good_doc: dict[str, Any], write_package: Any, cli: Any) -> None:
    first = write_package(good_doc)
    second = write_package(good_doc, name="akta-kelahiran-lama.json")
    result = cli("validate", "--format", "json", first.parent)
    slug_problems = [p for p in result.json() if p["rule"] == "slug-unique"]
    assert {p["file"] for p in slug_problems} == {str(first), str(second)}
    assert "slugs must be unique per region" in slug_problems[0]["message"]


def test_folder_search_skips_index_and_published(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    (tmp_path / "index.json").write_text("not json")
    published = tmp_path / "published" / "35.76" / "x"
    published.mkdir(parents=True)
    (published / "1.0.0.json").write_text("not json")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "p.json").write_text("not json")
    result = cli("validate", tmp_path)
    assert (result.code, result.out) == (0, "0 files checked: all valid\n")


def test_many_files_in_parallel_match_serial(good_doc: dict[str, Any], tmp_path: Path) -> None:
    from registry.discovery import discover
    from registry.validate import validate_files

    for i in range(260):
        doc = dict(good_doc, id=f"35.76/layanan-{i}")
        if i % 50 == 0:
            doc["version"] = "satu"
        path = tmp_path / "35.76" / f"layanan-{i}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(doc))
    files = discover([str(tmp_path)])
    seen: list[tuple[int, int]] = []
    parallel = validate_files(files, jobs=2, progress=lambda done, total: seen.append((done, total)))
    serial = validate_files(files, jobs=1)
    assert parallel.problems == serial.problems
    assert len(parallel.problems) == 6
    assert seen[-1] == (260, 260)


def test_console_script_runs_as_a_process() -> None:
    sample = REPO / "registry" / "packages" / "35.76" / "akta-kelahiran.json"
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "validate", str(sample)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "1 file checked: all valid\n")


def test_help_lists_every_command(cli: Any) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in ("validate", "init", "diff", "publish", "catalogue"):
        assert command in result.out
