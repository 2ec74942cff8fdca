"""What a rule sees and what it returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.problems import PathPart
from registry.regions import RegionTable


# Plain classes: a NamedTuple or dataclass class costs ~0.3 ms or more to create at each start-up.
class PackageContext:
    """One package document with where it came from."""

    __slots__ = ("doc", "file", "regions")

    def __init__(self, file: Path, doc: dict[str, Any], regions: RegionTable) -> None:
        self.file = file
        self.doc = doc
        self.regions = regions


class Finding:
    """A rule's complaint: where in the document, and what to fix."""

    __slots__ = ("message", "path")

    def __init__(self, path: tuple[PathPart, ...], message: str) -> None:
        self.path = path
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __repr__(self) -> str:
        return f"Finding(path={self.path!r}, message={self.message!r})"
