"""The starter package's placeholders: the values ``mpphub init`` writes for a regional team to replace.

This is the one list: ``registry/starter.py`` takes its default values from it, ``mpphub publish``
refuses a package that still holds any of them (each reported at its JSON path), ``mpphub validate``
notes them (valid for drafting) and ``mpphub init`` names those it kept. It lives apart from
``registry/starter.py`` only because that module imports ``dataclasses``, which the cold start of
``mpphub validate FILE`` must not load (tests/registry/test_cold_start.py); this one imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# The starter's host: a URL or address on it reaches no region's system (it is no real domain of theirs).
PLACEHOLDER_HOST = "layanan.example.go.id"


class Placeholder:
    """One placeholder value, where it is matched (a whole value, or a part such as the host), and what to
    write instead (English, Bahasa Indonesia)."""

    __slots__ = ("hint_en", "hint_id", "key", "part", "text")

    def __init__(self, key: str, text: str, hint_en: str, hint_id: str, part: bool = False) -> None:
        self.key = key
        self.text = text
        self.hint_en = hint_en
        self.hint_id = hint_id
        self.part = part  # matched anywhere inside a value (a host in a URL), not only as the whole value

    def matches(self, value: str) -> bool:
        """Whether ``value`` still holds this placeholder."""
        return self.text in value if self.part else value.strip() == self.text

    def hint(self, lang: str = "en") -> str:
        """What to write instead, in ``lang``."""
        return self.hint_id if lang == "id" else self.hint_en


NAME_ID = Placeholder(
    "name_id",
    "Nama layanan",
    "write the service's name in Bahasa Indonesia",
    "tulis nama layanan dalam Bahasa Indonesia",
)
NAME_EN = Placeholder(
    "name_en", "Service name", "write the service's name in English", "tulis nama layanan dalam bahasa Inggris"
)
DESCRIPTION = Placeholder(
    "description",
    "Deskripsi singkat layanan untuk warga.",
    "describe the service for citizens in a sentence or two",
    "jelaskan layanan untuk warga dalam satu-dua kalimat",
)
LEGAL_BASIS = Placeholder(
    "legal_basis",
    "Peraturan Daerah tentang penyelenggaraan pelayanan publik",
    "name the regulation the service rests on, with its number and year",
    "sebutkan peraturan yang mendasari layanan, dengan nomor dan tahunnya",
)
FEE_LEGAL_BASIS = Placeholder(
    "fee_legal_basis",
    "Peraturan Daerah tentang retribusi daerah",
    "name the Perda that sets the fee, with its number and year",
    "sebutkan Perda yang menetapkan tarif, dengan nomor dan tahunnya",
)
OUTPUT = Placeholder(
    "output",
    "Dokumen hasil layanan",
    "name what the citizen receives, e.g. 'Izin Reklame (dokumen elektronik)'",
    "sebutkan apa yang diterima warga, mis. 'Izin Reklame (dokumen elektronik)'",
)
HOST = Placeholder(
    "host",
    PLACEHOLDER_HOST,
    "use the address of the region's own system",
    "pakai alamat sistem milik daerah",
    part=True,
)
EMAIL = Placeholder(
    "contact_email",
    "layanan@example.go.id",
    "write the team's real e-mail address",
    "tulis alamat email tim yang sebenarnya",
)

PLACEHOLDERS: tuple[Placeholder, ...] = (
    NAME_ID,
    NAME_EN,
    DESCRIPTION,
    LEGAL_BASIS,
    FEE_LEGAL_BASIS,
    OUTPUT,
    HOST,
    EMAIL,
)


class Found:
    """A placeholder found in a document: its path (keys and indexes), the value, and which placeholder."""

    __slots__ = ("path", "placeholder", "value")

    def __init__(self, path: tuple[str | int, ...], value: str, placeholder: Placeholder) -> None:
        self.path = path
        self.value = value
        self.placeholder = placeholder

    def __repr__(self) -> str:
        return f"Found(path={self.path!r}, value={self.value!r}, placeholder={self.placeholder.key!r})"


def find_placeholders(doc: Any) -> list[Found]:
    """Every string value of ``doc`` that still holds one of the starter's placeholders, in document order."""
    return list(_walk(doc, ()))


def _walk(node: Any, path: tuple[str | int, ...]) -> Iterator[Found]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))
    elif isinstance(node, str):
        placeholder = next((p for p in PLACEHOLDERS if p.matches(node)), None)
        if placeholder is not None:
            yield Found(path, node, placeholder)


def raw_may_hold_placeholders(raw: bytes) -> bool:
    """A quick pre-check on a file's bytes (a hit still needs ``find_placeholders`` to confirm it)."""
    return any(p.text.encode("utf-8") in raw for p in PLACEHOLDERS)
