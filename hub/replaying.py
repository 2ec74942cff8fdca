"""Replaying a dead letter, shared by `mpphub replay` and the API: put it back in line, audit it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connectors.ledger.models import DeadLetter
from connectors.ledger.store import Ledger
from connectors.masking import scrub_text


def is_open(ledger: Ledger, letter_id: int) -> bool:
    """Whether an open (not yet replayed) dead letter has this id."""
    with ledger.engine.connect() as conn:
        found = conn.scalar(select(DeadLetter.id).where(DeadLetter.id == letter_id, DeadLetter.replayed_at.is_(None)))
    return found is not None


def replay_dead_letter(ledger: Ledger, letter_id: int, actor: str) -> dict[str, Any] | None:
    """Replay one open dead letter and append an audit record; None when no open letter has this id."""
    if not is_open(ledger, letter_id):
        return None
    letter = ledger.replay(letter_id)
    details = {
        "kind": letter["kind"],
        "ref": letter["ref"],
        "service_id": letter["service_id"],
        "reason": scrub_text(str(letter["reason"]))[:200],
    }
    seq = ledger.append_audit(actor, "replay", f"dead-letter:{letter_id}", details)
    return {
        "id": letter_id,
        "kind": letter["kind"],
        "ref": letter["ref"],
        "service_id": letter["service_id"],
        "audit_seq": seq,
    }
