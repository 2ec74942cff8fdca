"""Simulated officers: how an application moves through a package's LOCAL status codes.

Paths follow the national vocabulary (DESIGN.md) so that the mapped national statuses always form legal
transitions: received -> verifying -> (needs_revision <-> verifying) -> processing -> approved | rejected,
cancelled from any non-terminal state. When several local codes share a national status, the officers
use them as the local system does: processing codes in the order the package lists them (site survey,
then payment, then signing...), one of the cancel codes (withdrawn or expired) at random. A change between
two local codes of the same national status (PROSES -> TTE) is a real local event the hub must accept
without treating it as a national transition.
"""

from __future__ import annotations

import random

# national status -> (next national status, weight). Every edge is legal (tests check it against the schema).
NATIONAL_NEXT: dict[str, tuple[tuple[str, float], ...]] = {
    "submitted": (("received", 0.95), ("cancelled", 0.05)),
    "received": (("verifying", 0.92), ("cancelled", 0.08)),
    "verifying": (("processing", 0.65), ("needs_revision", 0.25), ("cancelled", 0.10)),
    "needs_revision": (("verifying", 0.85), ("cancelled", 0.15)),
    "processing": (("approved", 0.75), ("rejected", 0.20), ("cancelled", 0.05)),
}
TERMINAL = frozenset({"approved", "rejected", "cancelled"})
NEXT_PROCESSING_STEP = 0.85  # chance of going on to the next local processing code instead of deciding

# Officers' notes, by the national status they lead to: the kind of text local systems store (never personal data).
NOTES = {
    "received": "Permohonan diterima sistem",
    "verifying": "Berkas sedang diverifikasi petugas",
    "needs_revision": "Mohon perbaiki berkas persyaratan yang belum sesuai",
    "processing": "Permohonan diproses",
    "approved": "Permohonan disetujui, dokumen terbit",
    "rejected": "Permohonan ditolak: persyaratan tidak terpenuhi",
    "cancelled": "Permohonan dibatalkan",
}


class StatusLadder:
    """The officers' moves over one package's ``status_map`` (local code -> national status)."""

    def __init__(self, status_map: dict[str, str]) -> None:
        self.status_map = dict(status_map)
        self.codes: dict[str, list[str]] = {}
        for code, national in status_map.items():
            self.codes.setdefault(national, []).append(code)
        for first in ("received", "submitted", "verifying"):
            if first in self.codes:
                self.initial = self.codes[first][0]
                break
        else:
            raise ValueError("the status map has no code for a first status (received, submitted or verifying)")

    def national(self, code: str) -> str:
        """The national status of a local code."""
        return self.status_map[code]

    def is_final(self, code: str) -> bool:
        """True when officers will not move an application at ``code`` any further."""
        return self.status_map[code] in TERMINAL

    def next(self, code: str | None, rng: random.Random) -> str | None:
        """The code officers move an application to next (``None`` = no move: it is final). ``code`` None
        means the application has no status yet (a row the hub inserted into a bare table)."""
        if code is None:
            return self.initial
        national = self.status_map[code]
        if national in TERMINAL:
            return None
        if national == "processing":
            steps = self.codes["processing"]
            position = steps.index(code)
            if position + 1 < len(steps) and rng.random() < NEXT_PROCESSING_STEP:
                return steps[position + 1]
        options = [(target, weight) for target, weight in NATIONAL_NEXT[national] if target in self.codes]
        if not options:
            return None
        target = rng.choices([t for t, _ in options], weights=[w for _, w in options])[0]
        candidates = self.codes[target]
        # the first code of a step is its entry (PROSES before TTE); among cancel codes any may happen
        return rng.choice(candidates) if target == "cancelled" else candidates[0]

    def note(self, code: str) -> str:
        """An officer's note for a move to ``code``."""
        return NOTES.get(self.status_map[code], "Status diperbarui")
