"""A reusable scanner for leaked personal data and secrets (drill 5, data protection).

Known values come from the sandboxes' truth (what citizens really submitted: ``harvest`` walks any JSON
for 16-digit NIK/KK numbers and Indonesian mobile numbers); the scanner then looks for them, unmasked,
in any text (log lines, CLI output, error messages), in any rows (every column of every ledger table),
and for the resolved secret values (``secret_ref`` targets) anywhere.

To add a source later (hub API responses, dashboard pages): ``scanner.scan_text("GET /api/...", body)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData

NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)8\d{7,11}(?!\d)")
_NIK_VALUE = re.compile(r"\d{16}")
_PHONE_VALUE = re.compile(r"(?:\+62|62|0)8\d{7,11}")


def normal_phone(value: str) -> str:
    """``+62812...`` / ``62812...`` / ``0812...`` -> ``0812...`` (one form to compare)."""
    digits = value.lstrip("+")
    return "0" + digits[2:] if digits.startswith("62") else digits


def mask(value: str) -> str:
    """How a finding is shown: never the value itself (a report must not leak what it found)."""
    return value[:4] + "*" * max(len(value) - 6, 0) + value[-2:]


@dataclass(frozen=True)
class Leak:
    """One unmasked value found: where, what kind, and the value masked."""

    source: str
    where: str
    kind: str  # nik | phone | secret
    masked: str

    def __str__(self) -> str:
        return f"{self.source} {self.where}: {self.kind} {self.masked}"


@dataclass
class Known:
    """The personal data and secrets to look for."""

    niks: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)

    def update(self, other: Known) -> None:
        """Add another set of known values."""
        self.niks |= other.niks
        self.phones |= other.phones
        self.secrets |= other.secrets


def harvest(document: Any) -> Known:
    """The NIK-shaped and phone-shaped string values anywhere in a JSON document (e.g. a local system's
    truth: the form data citizens submitted, as it reached the region)."""
    known = Known()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            value = node.strip()
            if _NIK_VALUE.fullmatch(value):
                known.niks.add(value)
            elif _PHONE_VALUE.fullmatch(value):
                known.phones.add(normal_phone(value))
    return known


class PiiScanner:
    """Finds known NIKs, phone numbers (in any of their spellings) and secret values in text and rows."""

    def __init__(self, known: Known) -> None:
        self.known = known
        self.leaks: list[Leak] = []

    def scan_text(self, source: str, text: str) -> list[Leak]:
        """Scan a text line by line; returns (and remembers) what it found."""
        found: list[Leak] = []
        for number, line in enumerate(text.splitlines(), start=1):
            found.extend(self._scan_line(source, f"line {number}", line))
        self.leaks.extend(found)
        return found

    def scan_rows(self, source: str, rows: Iterable[dict[str, Any]]) -> list[Leak]:
        """Scan every column of every row (values rendered as text, JSON for structures)."""
        found: list[Leak] = []
        for index, row in enumerate(rows):
            for column, value in row.items():
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
                found.extend(self._scan_line(source, f"row {index} column {column}", text))
        self.leaks.extend(found)
        return found

    def scan_database(self, engine: Engine, label: str = "ledger") -> list[Leak]:
        """Every row of every table of a database (the ledger: all tables, all columns)."""
        metadata = MetaData()
        metadata.reflect(engine)
        found: list[Leak] = []
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                rows = (dict(row._mapping) for row in conn.execute(table.select()))
                found.extend(self.scan_rows(f"{label}.{table.name}", rows))
        return found

    def _scan_line(self, source: str, where: str, line: str) -> Iterator[Leak]:
        for match in NIK.finditer(line):
            if match.group() in self.known.niks:
                yield Leak(source, where, "nik", mask(match.group()))
        for match in PHONE.finditer(line):
            if normal_phone(match.group()) in self.known.phones:
                yield Leak(source, where, "phone", mask(match.group()))
        for secret in self.known.secrets:
            if secret and secret in line:
                yield Leak(source, where, "secret", mask(secret))
