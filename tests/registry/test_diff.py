"""`mpphub diff` and the change classification: each kind of change and the level it needs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.diff import diff_packages

Edit = Callable[[dict[str, Any]], None]


def _form(doc: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = doc["form"]
    return form


def _remove_field(doc: dict[str, Any]) -> None:
    del _form(doc)["properties"]["anak_ke"]


def _rename_field(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["urutan_anak"] = _form(doc)["properties"].pop("anak_ke")


def _newly_required(doc: dict[str, Any]) -> None:
    _form(doc)["required"].append("anak_ke")


def _add_required_field(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["golongan_darah"] = {"type": "string"}
    _form(doc)["required"].append("golongan_darah")


def _add_optional_field(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["golongan_darah"] = {"type": "string"}


def _narrow_type(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["tempat_lahir_anak"]["type"] = "integer"


def _widen_type(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["anak_ke"]["type"] = "number"


def _shorter_max_length(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["tempat_lahir_anak"]["maxLength"] = 50


def _longer_max_length(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["tempat_lahir_anak"]["maxLength"] = 200


def _enum_shrunk(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["jenis_kelamin_anak"]["enum"] = ["L"]


def _status_mapping_removed(doc: dict[str, Any]) -> None:
    del doc["local_system"]["status_map"]["TTE"]


def _status_mapping_redirected(doc: dict[str, Any]) -> None:
    doc["local_system"]["status_map"]["TTE"] = "verifying"


def _status_mapping_added(doc: dict[str, Any]) -> None:
    doc["local_system"]["status_map"]["ARSIP"] = "approved"


def _endpoint_path_changed(doc: dict[str, Any]) -> None:
    doc["local_system"]["operations"]["submit"]["path"] = "/v2/permohonan"


def _kind_changed(doc: dict[str, Any]) -> None:
    doc["local_system"]["kind"] = "sql"


def _mapped_target_removed(doc: dict[str, Any]) -> None:
    del doc["local_system"]["operations"]["submit"]["body"]["ayah.nik"]


def _base_url_moved(doc: dict[str, Any]) -> None:
    doc["local_system"]["base_url"] = "https://siak.mojokertokota.go.id/api/v1"


def _sla_changed(doc: dict[str, Any]) -> None:
    doc["service"]["sla_working_days"] = 5


def _requirement_now_required(doc: dict[str, Any]) -> None:
    doc["service"]["requirements"][2]["required"] = True


def _description_reworded(doc: dict[str, Any]) -> None:
    doc["service"]["description"]["id"] += " Berlaku untuk semua usia."


def _field_title_changed(doc: dict[str, Any]) -> None:
    _form(doc)["properties"]["anak_ke"]["title"] = "Kelahiran ke-"


def _contact_changed(doc: dict[str, Any]) -> None:
    doc["contact"]["email"] = "dispendukcapil@mojokertokota.go.id"


CASES: list[tuple[str, Edit, str, str]] = [
    ("form field removed", _remove_field, "major", "form field 'anak_ke' removed"),
    ("form field renamed", _rename_field, "major", "form field 'anak_ke' renamed to 'urutan_anak'?"),
    ("field newly required", _newly_required, "major", "form field 'anak_ke' is now required"),
    ("new required field", _add_required_field, "major", "new required form field 'golongan_darah'"),
    ("type narrowed", _narrow_type, "major", "type of 'tempat_lahir_anak' narrowed from string to integer"),
    ("maxLength shortened", _shorter_max_length, "major", "maxLength of 'tempat_lahir_anak' changed from 100 to 50"),
    ("enum shrunk", _enum_shrunk, "major", "'jenis_kelamin_anak' accepts fewer values"),
    ("status mapping removed", _status_mapping_removed, "major", "status mapping of 'TTE' removed"),
    (
        "status mapping redirected",
        _status_mapping_redirected,
        "major",
        "'TTE' now maps to verifying instead of processing",
    ),
    (
        "endpoint path changed",
        _endpoint_path_changed,
        "major",
        "path of 'submit' changed: /permohonan -> /v2/permohonan",
    ),
    ("connector kind changed", _kind_changed, "major", "connector kind changed from rest to sql"),
    ("mapped target removed", _mapped_target_removed, "major", "the local system no longer receives 'ayah.nik'"),
    ("requirement newly required", _requirement_now_required, "major", "requirement 'buku_nikah' is newly required"),
    ("optional field added", _add_optional_field, "minor", "new optional form field 'golongan_darah'"),
    ("type widened", _widen_type, "minor", "type of 'anak_ke' widened to number"),
    ("maxLength relaxed", _longer_max_length, "minor", "maxLength of 'tempat_lahir_anak' changed from 100 to 200"),
    ("status mapping added", _status_mapping_added, "minor", "new status mapping 'ARSIP'"),
    ("base URL moved", _base_url_moved, "minor", "base_url changed"),
    ("SLA changed", _sla_changed, "minor", "sla_working_days changed"),
    ("description reworded", _description_reworded, "patch", "description.id changed: '..."),
    ("field title changed", _field_title_changed, "patch", "title of 'anak_ke' changed"),
    (
        "contact changed",
        _contact_changed,
        "patch",
        "contact.email changed: 'capil@mojokertokota.go.id' -> 'dispendukcapil@mojokertokota.go.id'",
    ),
]


@pytest.mark.parametrize(("case", "edit", "level", "reason"), CASES, ids=[c[0] for c in CASES])
def test_change_is_classified(case: str, edit: Edit, level: str, reason: str, good_doc: dict[str, Any]) -> None:
    new = copy.deepcopy(good_doc)
    edit(new)
    result = diff_packages(good_doc, new)
    assert result.level == level, result.changes
    assert any(reason in c.reason for c in result.changes if c.level == level), result.changes


def test_identical_is_none(good_doc: dict[str, Any]) -> None:
    assert diff_packages(good_doc, copy.deepcopy(good_doc)).level == "none"


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_cli_diff_says_when_the_bump_is_too_small(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    new = copy.deepcopy(good_doc)
    _remove_field(new)
    new["version"] = "1.1.0"
    result = cli("diff", _write(tmp_path, "old.json", good_doc), _write(tmp_path, "new.json", new))
    assert result.code == 1
    assert "major  $.form.properties.anak_ke: form field 'anak_ke' removed: citizens' data no longer fits" in result.out
    assert result.out.splitlines()[-1] == (
        "change: major; version 1.0.0 -> 1.1.0 is a minor bump: NOT enough: bump the major version"
    )


def test_cli_diff_json_and_enough_bump(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    new = copy.deepcopy(good_doc)
    _add_optional_field(new)
    new["version"] = "1.1.0"
    result = cli("diff", "--format", "json", _write(tmp_path, "old.json", good_doc), _write(tmp_path, "new.json", new))
    assert result.code == 0
    payload = result.json()
    assert (payload["level"], payload["version_bump"], payload["bump_sufficient"]) == ("minor", "minor", True)


def test_cli_diff_refuses_different_packages(good_doc: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    other = dict(good_doc, id="35.76/akta-kematian")
    result = cli("diff", _write(tmp_path, "a.json", good_doc), _write(tmp_path, "b.json", other))
    assert result.code == 2
    assert "different packages" in result.err


def test_a_detailed_change_has_no_redundant_parent_line(good_doc: dict[str, Any]) -> None:
    """A form field added is one line at its own path, not also "form changed" at $.form."""
    new = copy.deepcopy(good_doc)
    _add_optional_field(new)
    new["service"]["sla_working_days"] = good_doc["service"]["sla_working_days"] + 1
    paths = [c.path for c in diff_packages(good_doc, new).changes]
    assert "$.form" not in paths and "$.service" not in paths, paths
    assert len(paths) == len(set(paths)) == 2, paths


def test_a_changed_value_is_shown_old_to_new(good_doc: dict[str, Any]) -> None:
    new = copy.deepcopy(good_doc)
    _sla_changed(new)
    _base_url_moved(new)
    reasons = {c.path: c.reason for c in diff_packages(good_doc, new).changes}
    assert reasons["$.service.sla_working_days"] == "sla_working_days changed: 3 -> 5"
    assert reasons["$.local_system.base_url"] == (
        "base_url changed: 'https://dispendukcapil.mojokertokota.go.id/api/v1' -> "
        "'https://siak.mojokertokota.go.id/api/v1'"
    )


def test_paths_are_spelt_as_validate_spells_them(good_doc: dict[str, Any]) -> None:
    """A key with a dot is written ['a.b'] and a list item [i], as registry.problems.json_path does."""
    new = copy.deepcopy(good_doc)
    _mapped_target_removed(new)
    _requirement_now_required(new)
    paths = [c.path for c in diff_packages(good_doc, new).changes]
    assert "$.local_system.operations.submit.body['ayah.nik']" in paths, paths
    assert "$.service.requirements[2]" in paths, paths


def _cli_diff(tmp_path: Path, old: dict[str, Any], new: dict[str, Any], *flags: str) -> Any:
    import subprocess
    import sys

    from tests.conftest import REPO

    files = [str(_write(tmp_path, "old.json", old)), str(_write(tmp_path, "new.json", new))]
    mpphub = Path(sys.executable).with_name("mpphub")  # the real console script of this venv
    return subprocess.run([mpphub, "diff", *flags, *files], capture_output=True, text=True, cwd=REPO, check=False)


def test_cli_diff_of_identical_packages_says_no_change(good_doc: dict[str, Any], tmp_path: Path) -> None:
    done = _cli_diff(tmp_path, good_doc, copy.deepcopy(good_doc))
    assert (done.returncode, done.stdout) == (
        0,
        "no change: both files hold 35.76/akta-kelahiran 1.0.0 with the same content\n",
    )


def test_cli_diff_calls_a_downgrade_a_downgrade(good_doc: dict[str, Any], tmp_path: Path) -> None:
    old = dict(good_doc, version="1.2.0")
    new = copy.deepcopy(good_doc)
    _add_optional_field(new)
    done = _cli_diff(tmp_path, old, new)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == (
        "change: minor; version 1.2.0 -> 1.0.0 is a downgrade: NOT enough: the new version must be above 1.2.0"
    )
    payload = json.loads(_cli_diff(tmp_path, old, new, "--format", "json").stdout)
    assert (payload["version_change"], payload["bump_sufficient"]) == ("downgrade", False)


def test_cli_diff_calls_a_pre_release_a_pre_release(good_doc: dict[str, Any], tmp_path: Path) -> None:
    new = copy.deepcopy(good_doc)
    _add_optional_field(new)
    new["version"] = "1.1.0-rc.1"
    done = _cli_diff(tmp_path, good_doc, new)
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1] == (
        "change: minor; version 1.0.0 -> 1.1.0-rc.1 is a pre-release of 1.1.0 (a minor bump): enough"
    )
    assert "minor  $.form.properties.golongan_darah: new optional form field 'golongan_darah'" in done.stdout


def test_cli_diff_of_an_unbumped_change(good_doc: dict[str, Any], tmp_path: Path) -> None:
    new = copy.deepcopy(good_doc)
    _sla_changed(new)
    done = _cli_diff(tmp_path, good_doc, new)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "minor  $.service.sla_working_days: sla_working_days changed: 3 -> 5",
        "change: minor; version 1.0.0 -> 1.0.0 is not bumped: NOT enough: bump the minor version",
    ]
