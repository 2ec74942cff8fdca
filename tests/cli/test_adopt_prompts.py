"""`mpphub adopt` at a real terminal asks for what the template leaves to the region (issue 11, item 4):
each value in the validator's order, each answer checked as it is given (a wrong one re-asked with the
reason, earlier answers kept), a missing local system chosen among the connector profiles, secret names
offered in the region's namespace; Enter leaves a value for later; Ctrl-D / Ctrl-C write nothing. Not at
a terminal, nothing is asked (tests/cli/test_adopt_and_templates.py)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.cli.test_init_prompts import Terminal
from tests.conftest import REPO


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """The sample templates as drafts (adopt builds on drafts too)."""
    root = tmp_path / "registry"
    shutil.copytree(REPO / "registry/templates", root / "templates")
    return root


def test_each_missing_value_is_asked_and_checked(registry: Path) -> None:
    written = registry / "packages/35.78/izin-penelitian.json"
    term = Terminal(["adopt", "nasional/izin-penelitian", "35.78", "--registry", str(registry)])
    term.expect("choose one: 1 nasional/simpel, 2 nasional/sipena")  # no local_system: the connector profiles
    term.answer("local_system: the connector profile", "9")
    term.expect("'9' is not one of the choices")
    term.answer("local_system: the connector profile", "nasional/sipena")  # by name, too
    term.answer("service.agency", "Badan Kesatuan Bangsa dan Politik Kota Surabaya")
    term.answer("service.description.id", "Rekomendasi penelitian di Kota Surabaya.")  # the object's field
    term.answer("local_system.base_url []:", "http://sipena.surabaya.go.id/api")
    term.expect("plain http to 'sipena.surabaya.go.id' is not allowed")
    term.answer("local_system.base_url []:", "https://sipena.surabaya.go.id/api")
    term.answer("local_system.auth.secret_ref", "R3576_STOLEN")  # another region's namespace
    term.expect("(please answer again)")
    term.answer("[R3578_IZIN_PENELITIAN_TOKEN]:", "")  # Enter takes the name offered
    term.answer("contact.unit", "Bakesbangpol Kota Surabaya")
    term.answer("contact.email", "bakesbangpol")
    term.expect("contact email must look like name@domain.go.id (please answer again)")
    term.answer("contact.email", "bakesbangpol@surabaya.go.id")
    assert term.finish() == 0, term.screen
    assert "complete: the composed package is valid" in term.screen
    overlay = json.loads(written.read_text(encoding="utf-8"))
    assert overlay["extends"]["profile"] == {"template": "nasional/sipena", "version": "1.0.0"}
    assert list(overlay)[-3:] == ["service", "local_system", "contact"]  # the package's section order
    assert overlay["service"] == {
        "agency": "Badan Kesatuan Bangsa dan Politik Kota Surabaya",  # kept through every later re-ask
        "description": {"id": "Rekomendasi penelitian di Kota Surabaya."},
    }
    assert overlay["local_system"] == {
        "base_url": "https://sipena.surabaya.go.id/api",
        "auth": {"secret_ref": "R3578_IZIN_PENELITIAN_TOKEN"},
    }
    assert overlay["contact"] == {"unit": "Bakesbangpol Kota Surabaya", "email": "bakesbangpol@surabaya.go.id"}


def test_given_values_are_not_asked_and_enter_leaves_the_rest_for_later(registry: Path) -> None:
    written = registry / "packages/35.78/izin-penelitian.json"
    term = Terminal(
        [
            "adopt",
            "nasional/izin-penelitian",
            "35.78",
            "--registry",
            str(registry),
            "--profile",
            "nasional/sipena",
            "--set",
            "service.agency=Bakesbangpol",
        ]
    )
    term.answer("service.description.id", "")
    term.answer("local_system.base_url", "")
    term.answer("local_system.auth.secret_ref", "")  # Enter takes the name offered: it is no longer missing
    term.answer("contact.unit", "")
    term.answer("contact.email", "")
    assert term.finish() == 1, term.screen
    for never in ("service.agency", "connector profile of your local"):
        assert never not in term.screen
    overlay = json.loads(written.read_text(encoding="utf-8"))
    assert overlay["service"] == {"agency": "Bakesbangpol"} and "contact" not in overlay  # no empty object left
    assert "3 values still to supply" in term.screen


@pytest.mark.parametrize(("key", "code", "why"), [(b"\x04", 1, "end of input")], ids=["ctrl-d"])
def test_ending_the_questions_early_writes_nothing(registry: Path, key: bytes, code: int, why: str) -> None:
    term = Terminal(
        ["adopt", "nasional/izin-penelitian", "35.78", "--registry", str(registry), "--profile", "nasional/sipena"]
    )
    term.answer("service.agency", "Badan Kesatuan Bangsa dan Politik")
    term.expect("service.description.id")
    os.write(term.master, key)
    assert term.finish() == code
    assert f"mpphub adopt: cancelled ({why}), nothing written" in term.screen
    assert not (registry / "packages").exists()


def test_no_input_asks_nothing_even_at_a_terminal(registry: Path) -> None:
    term = Terminal(["adopt", "nasional/izin-penelitian", "35.78", "--registry", str(registry), "--no-input"])
    assert term.finish() == 1
    assert "[]:" not in term.screen and "4 values still to supply" in term.screen
