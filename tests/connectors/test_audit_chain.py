"""The audit chain on both databases: appends verify; an edited or deleted row breaks it at that row."""

from __future__ import annotations

from sqlalchemy import delete, update

from connectors.ledger.models import AuditRecord
from connectors.ledger.store import Ledger
from connectors.masking import mask_nik, mask_phone
from connectors.sync.packages import masked_identifiers


def _fill(ledger: Ledger, n: int = 5) -> None:
    for i in range(n):
        ledger.append_audit("cli:tester", "publish", f"35.76/svc-{i}", {"version": f"1.0.{i}", "sha256": "ab" * 32})


def test_an_untouched_chain_verifies(ledger: Ledger) -> None:
    assert ledger.verify_audit() is None  # empty
    _fill(ledger)
    assert ledger.verify_audit() is None
    records = ledger.audit_records(limit=3)
    assert [r["seq"] for r in records] == [5, 4, 3]
    assert records[-1]["prev_hash"] == ledger.audit_records(limit=5)[-2]["hash"]


def test_an_edited_row_breaks_the_chain_at_that_row(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.engine.begin() as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(subject="35.76/other"))
    broken = ledger.verify_audit()
    assert broken is not None and broken.seq == 3 and "edited" in broken.reason


def test_edited_details_break_the_chain(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.engine.begin() as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(details={"version": "9.9.9"}))
    broken = ledger.verify_audit()
    assert broken is not None and broken.seq == 2


def test_a_deleted_row_breaks_the_chain(ledger: Ledger) -> None:
    _fill(ledger)
    with ledger.engine.begin() as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.seq == 2))
    broken = ledger.verify_audit()
    assert broken is not None and broken.seq == 2 and "missing" in broken.reason


def test_a_rehashed_edit_still_breaks_the_link_to_the_next_row(ledger: Ledger) -> None:
    """A tamperer who recomputes the edited row's own hash is caught by the next row's prev_hash."""
    from connectors.ledger.audit import record_hash

    _fill(ledger)
    row = next(r for r in ledger.audit_records(limit=10) if r["seq"] == 2)
    from datetime import datetime

    at = datetime.fromisoformat(row["at"].replace("Z", "+00:00"))
    forged = record_hash(2, at, row["actor"], row["action"], "35.76/forged", row["details"], row["prev_hash"])
    with ledger.engine.begin() as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(subject="35.76/forged", hash=forged))
    broken = ledger.verify_audit()
    assert broken is not None and broken.seq == 3


def test_masks_keep_only_the_ends() -> None:
    assert mask_nik("3576012345678901") == "3576************"
    assert mask_phone("081234567889") == "0812******89"
    assert mask_phone("+6281234567889") == "+628********89"
    assert mask_phone("0812") == "****"


def test_masked_identifiers_follow_the_personal_data_marks() -> None:
    package = {
        "form": {
            "properties": {
                "nama": {"type": "string", "x-personal-data": "name"},
                "nik_pemohon": {"type": "string", "x-personal-data": "nik"},
                "no_hp": {"type": "string", "x-personal-data": "phone"},
            }
        }
    }
    form = {"nama": "Siti", "nik_pemohon": "3576012345678901", "no_hp": "081234567889"}
    assert masked_identifiers(package, form) == ("3576************", "0812******89")
    assert masked_identifiers(package, {"nama": "Siti"}) == (None, None)
