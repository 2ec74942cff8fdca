"""Semantic versions of packages, and which part of a version a change needs to bump."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$")

LEVELS = ("none", "patch", "minor", "major")


def level_rank(level: str) -> int:
    """none < patch < minor < major."""
    return LEVELS.index(level)


@total_ordering
@dataclass(frozen=True)
class Version:
    """MAJOR.MINOR.PATCH with an optional pre-release tag (which sorts before the release)."""

    major: int
    minor: int
    patch: int
    pre: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``1.2.3`` or ``1.2.3-rc.1``; ValueError otherwise."""
        match = _SEMVER.match(text)
        if not match:
            raise ValueError(f"not a semantic version: {text!r}")
        return cls(int(match[1]), int(match[2]), int(match[3]), match[4] or "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        if (self.major, self.minor, self.patch) != (other.major, other.minor, other.patch):
            return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)
        # a pre-release sorts before its release; pre-releases compare as text
        return (self.pre == "", self.pre) < (other.pre == "", other.pre)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")


def bump_level(old: Version, new: Version) -> str:
    """The part of the version that went up from ``old`` to ``new``: major, minor, patch or none."""
    if new <= old:
        return "none"
    if new.major > old.major:
        return "major"
    if new.minor > old.minor:
        return "minor"
    return "patch"
