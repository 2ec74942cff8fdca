"""A regional team's path through the real ``mpphub`` command: init -> validate (a draft with the starter's
placeholders is valid, with a note) -> publish (refused, each placeholder listed at its JSON path) -> fix ->
publish; and the CLI's own help for people: --version, "did you mean", JSON comments, Bahasa Indonesia."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import GOOD_PACKAGE, REPO

MPPHUB = Path(sys.executable).with_name("mpphub")  # the real console script of this venv


def mpphub(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``mpphub`` in an English locale unless ``env`` says otherwise."""
    environment = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", **(env or {})}
    return subprocess.run(
        [str(MPPHUB), *map(str, args)], capture_output=True, text=True, cwd=REPO, env=environment, check=False
    )


def test_a_draft_with_placeholders_validates_but_is_not_published(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    draft = registry / "packages" / "35.76" / "izin-reklame.json"
    made = mpphub("init", "35.76", "izin-reklame", "--out", draft, "--no-input", "--fee", "250.000")
    assert made.returncode == 0, made.stderr

    checked = mpphub("validate", draft)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.splitlines() == [
        f"note: 8 placeholders of the starter still to replace in 1 file (valid for drafting; 'mpphub publish' "
        f"refuses them): {draft}",
        "1 file checked: all valid",
    ]

    refused = mpphub("publish", "--registry", registry, draft)
    assert refused.returncode == 1
    assert refused.stdout.splitlines() == [
        f"{draft}::$.service.name.id: still the starter's placeholder 'Nama layanan': "
        "write the service's name in Bahasa Indonesia",
        f"{draft}::$.service.name.en: still the starter's placeholder 'Service name': "
        "write the service's name in English",
        f"{draft}::$.service.description.id: still the starter's placeholder 'Deskripsi singkat layanan untuk warga.': "
        "describe the service for citizens in a sentence or two",
        f"{draft}::$.service.legal_basis[0]: still the starter's placeholder "
        "'Peraturan Daerah tentang penyelenggaraan pelayanan publik': "
        "name the regulation the service rests on, with its number and year",
        f"{draft}::$.service.fee.legal_basis: still the starter's placeholder "
        "'Peraturan Daerah tentang retribusi daerah': name the Perda that sets the fee, with its number and year",
        f"{draft}::$.service.outputs[0]: still the starter's placeholder 'Dokumen hasil layanan': "
        "name what the citizen receives, e.g. 'Izin Reklame (dokumen elektronik)'",
        f"{draft}::$.local_system.base_url: still the starter's placeholder 'https://layanan.example.go.id/api': "
        "use the address of the region's own system",
        f"{draft}::$.contact.email: still the starter's placeholder 'layanan@example.go.id': "
        "write the team's real e-mail address",
        f"{draft}: 8 placeholders to replace before publishing (a draft may keep them; a published version may not)",
        f"{draft}: refused, nothing was published",
    ]
    assert not (registry / "index.json").exists()

    doc = json.loads(draft.read_text(encoding="utf-8"))
    service = doc["service"]
    service["name"] = {"id": "Izin Reklame", "en": "Billboard Permit"}
    service["description"] = {"id": "Izin pemasangan reklame di wilayah Kota Mojokerto."}
    service["legal_basis"] = ["Peraturan Wali Kota Mojokerto Nomor 12 Tahun 2024 tentang Reklame"]
    service["fee"]["legal_basis"] = "Peraturan Daerah Kota Mojokerto Nomor 5 Tahun 2023 tentang Retribusi"
    service["outputs"] = ["Izin Reklame (dokumen elektronik)"]
    doc["local_system"]["base_url"] = "https://reklame.mojokertokota.go.id/api"
    doc["contact"]["email"] = "reklame@mojokertokota.go.id"
    draft.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    assert mpphub("validate", draft).stdout == "1 file checked: all valid\n"  # no more note
    published = mpphub("publish", "--registry", registry, draft)
    assert published.returncode == 0, published.stdout
    assert published.stdout.startswith("35.76/izin-reklame 0.1.0: published (sha256 ")


def test_the_refusal_in_bahasa_indonesia(tmp_path: Path) -> None:
    draft = tmp_path / "packages" / "35.76" / "izin-reklame.json"
    assert mpphub("init", "35.76", "izin-reklame", "--out", draft, "--no-input").returncode == 0
    refused = mpphub("publish", "--lang", "id", "--registry", tmp_path / "registry", draft)
    assert refused.returncode == 1
    lines = refused.stdout.splitlines()
    assert lines[0] == (
        f"{draft}::$.service.name.id: masih isian contoh dari starter 'Nama layanan': "
        "tulis nama layanan dalam Bahasa Indonesia"
    )
    assert lines[-2:] == [
        f"{draft}: 7 isian contoh harus diganti sebelum diterbitkan (draf boleh memuatnya; versi terbit tidak)",
        f"{draft}: ditolak, tidak ada yang diterbitkan",
    ]


def test_version() -> None:
    done = mpphub("--version")
    assert (done.returncode, done.stdout) == (0, f"mpphub {version('mpp-hub')}\n")


@pytest.mark.parametrize(
    ("word", "suggestion"), [("valdiate", "validate"), ("pubish", "publish"), ("catalog", "catalogue")]
)
def test_a_mistyped_command_gets_did_you_mean(word: str, suggestion: str) -> None:
    done = mpphub(word, "registry/packages")
    assert done.returncode == 2
    assert done.stderr == (
        f"mpphub: unknown command '{word}'; did you mean '{suggestion}'?\n"
        "Run 'mpphub --help' for the list of commands.\n"
    )


def test_a_command_nothing_like_any_other_and_in_indonesian() -> None:
    done = mpphub("xyzzy")
    assert (done.returncode, done.stderr.splitlines()[0]) == (2, "mpphub: unknown command 'xyzzy'")
    indonesian = mpphub("valdiate", env={"LC_ALL": "id_ID.UTF-8"})
    assert indonesian.returncode == 2
    assert indonesian.stderr.splitlines()[0] == "mpphub: perintah 'valdiate' tidak dikenal; maksud Anda 'validate'?"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{\n  "id": "35.76/x", // the package id\n  "version": "1.0.0"\n}\n', "// comment at line 2 column 20"),
        ('{\n  /* written by the team */\n  "id": "35.76/x"\n}\n', "/* */ comment at line 2 column 3"),
        ('// a package\n{"id": "35.76/x"}\n', "// comment at line 1 column 1"),
    ],
)
def test_a_json_file_with_comments_is_told_comments_are_not_allowed(text: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    done = mpphub("validate", path)
    assert done.returncode == 1
    assert f"{path}::$: comments are not allowed in JSON: remove the {where}" in done.stdout


@pytest.mark.parametrize(
    ("env", "args", "summary"),
    [
        ({}, ["--lang", "id"], "1 berkas diperiksa: semua valid"),
        ({"LANG": "id_ID.UTF-8"}, [], "1 berkas diperiksa: semua valid"),  # the fast path reads the locale too
        ({"LANG": "id_ID.UTF-8"}, ["--lang", "en"], "1 file checked: all valid"),  # the flag beats the locale
        ({"LC_ALL": "en_US.UTF-8", "LANG": "id_ID.UTF-8"}, [], "1 file checked: all valid"),  # LC_ALL first
    ],
)
def test_the_validate_summary_speaks_the_teams_language(env: dict[str, str], args: list[str], summary: str) -> None:
    done = mpphub("validate", *args, GOOD_PACKAGE, env=env)
    assert (done.returncode, done.stdout) == (0, summary + "\n")


def test_problems_summary_in_indonesian(tmp_path: Path) -> None:
    doc = json.loads(GOOD_PACKAGE.read_text(encoding="utf-8"))
    doc["service"]["sla_working_days"] = 0
    bad = tmp_path / "35.76" / "akta-kelahiran.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps(doc), encoding="utf-8")
    done = mpphub("--lang", "id", "validate", bad)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "1 masalah di 1 dari 1 berkas"
