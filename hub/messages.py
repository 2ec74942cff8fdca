"""The CLI's own texts in English (the default) and Bahasa Indonesia, for regional teams.

The language is ``--lang id|en`` when given, else the locale: ``LC_ALL``, then ``LC_MESSAGES``, then
``LANG`` (POSIX order; the first one set decides), Indonesian when it starts with ``id`` (``id_ID.UTF-8``).
Translated: the prompts and answers of ``mpphub init``, the summaries of ``validate`` and ``publish``, the
starter-placeholder refusal, and the CLI's own errors ("did you mean"). The validator's rule messages stay
in English (they quote the schema's own ``x-message`` texts, which are written once).

Kept free of imports beyond ``os``: ``mpphub validate FILE`` prints its summary through this module and
its cold start is measured (tests/registry/test_cold_start.py).
"""

from __future__ import annotations

import os

LANGUAGES = ("en", "id")

# key -> (English, Bahasa Indonesia); placeholders are str.format fields
CATALOGUE: dict[str, tuple[str, str]] = {
    # hub/cli.py
    "cli.unknown_command": ("mpphub: unknown command '{word}'{hint}", "mpphub: perintah '{word}' tidak dikenal{hint}"),
    "cli.did_you_mean": ("; did you mean '{match}'?", "; maksud Anda '{match}'?"),
    "cli.see_help": (
        "Run 'mpphub --help' for the list of commands.",
        "Jalankan 'mpphub --help' untuk daftar perintah.",
    ),
    "cli.interrupted": ("interrupted", "dihentikan"),
    # mpphub validate
    "validate.all_valid": ("{files} checked: all valid", "{files} diperiksa: semua valid"),
    "validate.problems": ("{problems} in {bad} of {files}", "{problems} di {bad} dari {files}"),
    "validate.placeholder_note": (
        "note: {count} of the starter still to replace in {files} (valid for drafting; 'mpphub publish' refuses "
        "them): {names}",
        "catatan: {count} dari starter masih harus diganti di {files} (sah sebagai draf; 'mpphub publish' "
        "menolaknya): {names}",
    ),
    "noun.file": ("file", "berkas"),
    "noun.problem": ("problem", "masalah"),
    "noun.placeholder": ("placeholder", "isian contoh"),
    # mpphub publish
    "publish.published": (
        "{package} {version}: published (sha256 {sha256}; audit #{seq})",
        "{package} {version}: diterbitkan (sha256 {sha256}; audit #{seq})",
    ),
    "publish.unchanged": (
        "{package} {version}: already published with identical content",
        "{package} {version}: sudah diterbitkan dengan isi yang sama",
    ),
    "publish.refused": ("{file}: refused, nothing was published", "{file}: ditolak, tidak ada yang diterbitkan"),
    "publish.placeholder": (
        "still the starter's placeholder {value}: {hint}",
        "masih isian contoh dari starter {value}: {hint}",
    ),
    "publish.placeholders_summary": (
        "{file}: {count} to replace before publishing (a draft may keep them; a published version may not)",
        "{file}: {count} harus diganti sebelum diterbitkan (draf boleh memuatnya; versi terbit tidak)",
    ),
    # mpphub init
    "init.prompt.name_id": ("Service name in Bahasa Indonesia", "Nama layanan (Bahasa Indonesia)"),
    "init.prompt.name_en": ("Service name in English", "Nama layanan dalam bahasa Inggris"),
    "init.prompt.agency": ("Agency (OPD) that processes the service", "Perangkat daerah (OPD) pelaksana"),
    "init.prompt.category": ("Category", "Kategori"),
    "init.prompt.legal_basis": (
        "Legal basis of the service (the regulation it rests on)",
        "Dasar hukum layanan (peraturan yang mendasarinya)",
    ),
    "init.prompt.sla_working_days": ("SLA in working days", "SLA (hari kerja)"),
    "init.prompt.fee_idr": ("Fee in rupiah, e.g. 250.000 (0 = free)", "Tarif dalam rupiah, mis. 250.000 (0 = gratis)"),
    "init.prompt.fee_legal_basis": (
        "Legal basis of the fee (the Perda that sets it, with number and year)",
        "Dasar hukum tarif (Perda yang menetapkannya, dengan nomor dan tahun)",
    ),
    "init.prompt.kind": ("Connector kind", "Jenis konektor"),
    "init.prompt.base_url": ("URL of the local system's API (https://...)", "URL API sistem lokal (https://...)"),
    "init.prompt.auth_type": ("How the hub signs in to the API", "Cara hub masuk ke API"),
    "init.prompt.token_url": ("OAuth2 token URL (https://...)", "URL token OAuth2 (https://...)"),
    "init.prompt.dialect": ("Database dialect", "Jenis basis data"),
    "init.prompt.contact_email": ("The team's e-mail address", "Email kontak tim"),
    "init.choices": ("  choose one: {choices}", "  pilih salah satu: {choices}"),
    "init.not_a_choice": (
        "'{answer}' is not one of the choices (a name or its number){hint}",
        "'{answer}' bukan salah satu pilihan (nama atau nomornya){hint}",
    ),
    "init.whole_number": ("please enter a whole number", "masukkan bilangan bulat"),
    "init.fee_format": (
        "write the amount in whole rupiah, e.g. 250000, 250.000 or Rp 250.000",
        "tulis jumlah dalam rupiah utuh, mis. 250000, 250.000 atau Rp 250.000",
    ),
    "init.rejected": ("  {reason} (please answer again)", "  {reason} (silakan jawab lagi)"),
    "init.placeholder_kept": (
        "  (kept the placeholder: replace it before 'mpphub publish')",
        "  (isian contoh dipertahankan: ganti sebelum 'mpphub publish')",
    ),
    "init.cancelled": (
        "mpphub init: cancelled ({why}), nothing written",
        "mpphub init: dibatalkan ({why}), tidak ada yang ditulis",
    ),
    "init.why.eof": ("end of input", "akhir masukan"),
    "init.why.interrupt": ("interrupted", "dihentikan"),
    "init.wrote": (
        "wrote {out}: edit it, then run 'mpphub validate {out}'",
        "{out} ditulis: sunting, lalu jalankan 'mpphub validate {out}'",
    ),
    "init.wrote_placeholders": (
        "it still holds {count}, to replace before 'mpphub publish': {paths}",
        "masih berisi {count} yang harus diganti sebelum 'mpphub publish': {paths}",
    ),
    "init.exists": (
        "mpphub init: {out} exists; use --force to overwrite it",
        "mpphub init: {out} sudah ada; pakai --force untuk menimpanya",
    ),
    "init.invalid": (
        "mpphub init: the values given do not make a valid package; nothing was written",
        "mpphub init: nilai yang diberikan tidak menghasilkan paket yang sah; tidak ada yang ditulis",
    ),
    # mpphub adopt, at a terminal (hub/commands/adopt_questions.py)
    "adopt.asking": (
        "the values the template leaves to the region, one at a time; Enter leaves one for later (listed at the end)",
        "nilai yang diserahkan template ke daerah, satu per satu; Enter menundanya (dicantumkan di akhir)",
    ),
    "adopt.prompt": ("{path}{title}", "{path}{title}"),
    "adopt.profile": (
        "local_system: the connector profile of your local application (name or number)",
        "local_system: profil konektor aplikasi lokal Anda (nama atau nomor)",
    ),
    "adopt.not_a_number": ("please enter a number", "masukkan angka"),
    "adopt.yes_no": ("please answer y or n", "jawab y atau t"),
    "adopt.not_json": (
        'write it as JSON, e.g. {"id": "..."}',
        'tulis sebagai JSON, mis. {"id": "..."}',
    ),
    "adopt.cancelled": (
        "mpphub adopt: cancelled ({why}), nothing written",
        "mpphub adopt: dibatalkan ({why}), tidak ada yang ditulis",
    ),
}

_chosen: str | None = None


def set_language(lang: str | None) -> None:
    """Use ``lang`` (``en`` or ``id``) for the rest of the run; None goes back to the locale."""
    global _chosen
    _chosen = lang if lang in LANGUAGES else None


def locale_language(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """``id`` when the locale (LC_ALL, else LC_MESSAGES, else LANG) is Indonesian, else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # POSIX: the first one set wins, even when it is not Indonesian
            return "id" if value == "id" or value.startswith(("id_", "id.", "id@")) else "en"
    return "en"


def language() -> str:
    """The language of this run: ``--lang`` when given, else the locale's."""
    return _chosen or locale_language()


def t(key: str, **fields: object) -> str:
    """The text ``key`` in this run's language, with ``fields`` filled in."""
    english, indonesian = CATALOGUE[key]
    text = indonesian if language() == "id" else english
    return text.format(**fields) if fields else text


def count(n: int, noun: str) -> str:
    """``1 file`` / ``2 files`` in English; Indonesian nouns do not take a plural ending (``2 berkas``)."""
    word = t(f"noun.{noun}")
    return f"{n} {word}" if n == 1 or language() == "id" else f"{n} {word}s"
