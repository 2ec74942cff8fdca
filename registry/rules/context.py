"""What a rule sees and what it returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.problems import PathPart
from registry.regions import RegionTable


@dataclass(frozen=True)
class PackageContext:
    """One package document with where it came from."""

    file: Path
    doc: dict[str, Any]
    regions: RegionTable


@dataclass(frozen=True)
class Finding:
    """A rule's complaint: where in the document, and what to fix."""

    path: tuple[PathPart, ...]
    message: str
