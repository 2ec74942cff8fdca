"""`mpphub init` answered at a real terminal (a pty for stdin, stdout and stderr, as a person's shell gives):
each answer is checked as it is given and a wrong one re-asked with the reason, without losing the answers
before it; closed lists are shown; only what the chosen kind needs is asked; fees are read as written in
Indonesia; the questions speak Bahasa Indonesia with --lang id or an Indonesian locale."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import REPO

MPPHUB = Path(sys.executable).with_name("mpphub")  # the real console script of this venv


class Terminal:
    """``mpphub`` on a pty: wait for a text on the screen, type a line; everything shown is kept."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.master, terminal = pty.openpty()
        environment = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", **(env or {})}
        self.process = subprocess.Popen(
            [str(MPPHUB), *args], stdin=terminal, stdout=terminal, stderr=terminal, cwd=REPO, env=environment
        )
        os.close(terminal)
        self.screen = ""
        self._seen = 0  # where the next expect() starts looking: texts are waited for in order

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # the child closed the terminal (it exited)
            return False
        self.screen += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return bool(chunk)

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait until ``text`` appears after what the previous expect() matched."""
        deadline = time.monotonic() + timeout
        while text not in self.screen[self._seen :]:
            assert time.monotonic() < deadline, f"{text!r} never shown; the screen:\n{self.screen[-2000:]}"
            assert self._read(0.5), f"mpphub ended before {text!r}; the screen:\n{self.screen[-2000:]}"
        self._seen += self.screen[self._seen :].index(text) + len(text)

    def answer(self, prompt: str, line: str) -> None:
        """Wait for ``prompt``, then type ``line`` and Enter."""
        self.expect(prompt)
        time.sleep(0.05)  # from printing the prompt to reading the terminal
        os.write(self.master, line.encode() + b"\n")

    def finish(self, timeout: float = 60) -> int:
        """Read to the end; the exit code."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None or self._read(0.1):
            assert time.monotonic() < deadline, f"mpphub did not end; the screen:\n{self.screen[-2000:]}"
            if self.process.poll() is None:
                self._read(0.2)
        os.close(self.master)
        return self.process.wait()


def test_each_answer_is_checked_as_it_is_given_and_nothing_is_lost(tmp_path: Path) -> None:
    out = tmp_path / "izin-reklame.json"
    term = Terminal(["init", "35.76", "izin-reklame", "--out", str(out)])
    term.answer("Service name in Bahasa Indonesia [Nama layanan]:", "Izin Reklame")
    term.answer("Service name in English", "Billboard Permit")
    term.answer("Agency (OPD)", "Badan Pendapatan Daerah Kota Mojokerto")
    term.expect("choose one: 1 kependudukan, 2 perizinan-usaha,")  # the schema's closed list, numbered
    term.answer("Category [umum]:", "perizinan-usah")
    term.expect("'perizinan-usah' is not one of the choices (a name or its number); did you mean 'perizinan-usaha'?")
    term.answer("Category [umum]:", "2")  # asked again, and only this question
    term.answer("Legal basis of the service", "Peraturan Wali Kota Mojokerto Nomor 12 Tahun 2024 tentang Reklame")
    term.answer("SLA in working days [5]:", "400")
    term.expect("sla_working_days must be a whole number of working days from 1 to 365 (please answer again)")
    term.answer("SLA in working days [5]:", "7")
    term.answer("Fee in rupiah", "250,000")
    term.expect("write the amount in whole rupiah, e.g. 250000, 250.000 or Rp 250.000")
    term.answer("Fee in rupiah", "Rp 250.000")
    term.answer("Legal basis of the fee (the Perda", "Perda Kota Mojokerto Nomor 5 Tahun 2023 tentang Retribusi")
    term.expect("choose one: 1 rest, 2 sql")
    term.answer("Connector kind [rest]:", "rest")
    term.answer("URL of the local system's API", "http://reklame.mojokertokota.go.id/api")
    term.expect("plain http to 'reklame.mojokertokota.go.id' is not allowed")
    term.answer("URL of the local system's API", "https://reklame.mojokertokota.go.id/api")
    term.expect("choose one: 1 none, 2 api_key, 3 bearer, 4 basic, 5 oauth2_client_credentials")
    term.answer("How the hub signs in to the API [bearer]:", "basic")
    term.answer("e-mail address", "reklame")
    term.expect("contact email must look like name@domain.go.id (please answer again)")
    term.answer("e-mail address", "reklame@mojokertokota.go.id")
    assert term.finish() == 0, term.screen
    assert "Database dialect" not in term.screen  # a rest package has no database
    doc = json.loads(out.read_text(encoding="utf-8"))
    service = doc["service"]
    assert service["name"] == {"id": "Izin Reklame", "en": "Billboard Permit"}  # kept through every re-ask
    assert (service["category"], service["sla_working_days"]) == ("perizinan-usaha", 7)
    assert service["fee"] == {
        "type": "paid",
        "amount_idr": 250000,
        "legal_basis": "Perda Kota Mojokerto Nomor 5 Tahun 2023 tentang Retribusi",
    }
    assert doc["local_system"]["base_url"] == "https://reklame.mojokertokota.go.id/api"
    assert doc["local_system"]["auth"] == {
        "type": "basic",
        "username_ref": "R3576_IZIN_REKLAME_USERNAME",
        "password_ref": "R3576_IZIN_REKLAME_PASSWORD",
    }
    assert doc["contact"]["email"] == "reklame@mojokertokota.go.id"


def test_only_what_the_kind_needs_is_asked(tmp_path: Path) -> None:
    out = tmp_path / "izin-reklame.json"
    term = Terminal(["init", "35.76", "izin-reklame", "--out", str(out)])
    for prompt in ("Service name in Bahasa", "Service name in English", "Agency", "Category", "Legal basis"):
        term.answer(prompt, "")
    term.expect("(kept the placeholder: replace it before 'mpphub publish')")  # Enter kept a placeholder
    term.answer("SLA in working days", "")
    term.answer("Fee in rupiah", "0")  # free: no question about the fee's Perda
    term.answer("Connector kind [rest]:", "sql")
    term.expect("choose one: 1 postgresql, 2 mysql, 3 mariadb")
    term.answer("Database dialect [mariadb]:", "postgresql")  # straight after the kind: no API URL, no auth
    term.answer("e-mail address", "capil@mojokertokota.go.id")
    term.expect("it still holds")
    assert term.finish() == 0, term.screen
    for never in ("Legal basis of the fee", "URL of the local system", "How the hub signs in"):
        assert never not in term.screen
    local = json.loads(out.read_text(encoding="utf-8"))["local_system"]
    assert (local["kind"], local["dialect"]) == ("sql", "postgresql")
    assert "base_url" not in local


def test_the_questions_speak_bahasa_indonesia_with_lang_id(tmp_path: Path) -> None:
    out = tmp_path / "izin-reklame.json"
    term = Terminal(["init", "--lang", "id", "35.76", "izin-reklame", "--out", str(out)])
    term.answer("Nama layanan (Bahasa Indonesia) [Nama layanan]:", "Izin Reklame")
    for prompt in ("Nama layanan dalam bahasa Inggris", "Perangkat daerah (OPD) pelaksana"):
        term.answer(prompt, "")
    term.expect("pilih salah satu: 1 kependudukan")
    term.answer("Kategori [umum]:", "")
    term.answer("Dasar hukum layanan", "")
    term.answer("SLA (hari kerja) [5]:", "lima")
    term.expect("masukkan bilangan bulat (silakan jawab lagi)")
    term.answer("SLA (hari kerja) [5]:", "5")
    term.answer("Tarif dalam rupiah", "250.000")
    term.answer("Dasar hukum tarif", "Perda Kota Mojokerto Nomor 5 Tahun 2023")
    for prompt in ("Jenis konektor", "URL API sistem lokal", "Cara hub masuk ke API", "Email kontak tim"):
        term.answer(prompt, "")
    term.expect("ditulis: sunting, lalu jalankan 'mpphub validate")
    assert term.finish() == 0, term.screen
    assert json.loads(out.read_text(encoding="utf-8"))["service"]["fee"]["amount_idr"] == 250000


def test_an_indonesian_locale_is_enough(tmp_path: Path) -> None:
    term = Terminal(["init", "35.76", "izin-reklame", "--out", str(tmp_path / "x.json")], env={"LANG": "id_ID.UTF-8"})
    term.expect("Nama layanan (Bahasa Indonesia) [Nama layanan]:")
    os.write(term.master, b"\x04")  # Ctrl-D: ends cleanly, in the same language
    term.expect("mpphub init: dibatalkan (akhir masukan), tidak ada yang ditulis")
    assert term.finish() == 1
    assert not (tmp_path / "x.json").exists()
