"""A ledger with open dead letters of every kind, for the dead-letter page's API and browser tests.

Kota Mojokerto (35.76): an application the local system refused (it has no local reference: the local
system never took it), a status event of a delivered application (its local reference is the
application's), a quarantined local record (its own local reference), and an application whose reason holds
an unmasked NIK (the API masks it). Kota Surabaya (35.78): ``BULK`` quarantined walk-ins, enough for
several pages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from connectors.ledger.models import StatusEvent
from connectors.ledger.store import Ledger, NewApplication

REGION, OTHER_REGION = "35.76", "35.78"
SERVICE, OTHER_SERVICE = f"{REGION}/akta-kelahiran", f"{OTHER_REGION}/surat-keterangan-pindah"
LOCAL_REFERENCE = "REG/2026/000417"  # what the local system calls the delivered application
RECORD_REFERENCE = "LOC-ARSIP-0093"  # a local record the hub could not map
NIK = "3576014403910003"
REFUSED_REASON = "POST /permohonan: HTTP 422: jenis_layanan tidak dikenal"  # the local system's own words
GAVE_UP_REASON = f"gave up after 8 attempts: POST /permohonan: HTTP 503: NIK {NIK}"
UNMAPPED_REASON = f"local status 'ARSIP' is not in the status_map of {SERVICE} 1.0.0"
EVENT_REASON = "illegal transition approved -> processing (local PROSES)"
BULK = 120


def seed(ledger: Ledger) -> dict[str, int]:
    """Fill ``ledger``; returns the dead letters' ids by name (``refused``, ``gave_up``, ``event``,
    ``record``) and ``bulk``: how many 35.78 has."""
    # Surabaya's first: Mojokerto's are the newest, on top of the first page
    for i in range(BULK):
        ledger.quarantine(
            OTHER_REGION,
            OTHER_SERVICE,
            "walk_in",
            f"walkin-{OTHER_SERVICE}-W{i:04d}",
            "walk-in form does not fit: nama_anak: 'x' is too short",
            {"local_reference": f"W{i:04d}"},
        )
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    apps = [
        NewApplication(f"NAT-{i}", SERVICE, REGION, "1.0.0", start + timedelta(minutes=i), {"application": {}})
        for i in range(3)
    ]
    ledger.store_new_applications(REGION, SERVICE, apps, None, "c1")
    ledger.mark_sending("NAT-0")
    ledger.mark_delivered("NAT-0", LOCAL_REFERENCE)
    ledger.mark_sending("NAT-1")
    ledger.dead_letter_application("NAT-1", REFUSED_REASON)
    ledger.mark_sending("NAT-2")
    ledger.dead_letter_application("NAT-2", GAVE_UP_REASON, holds_queue=True)
    now = datetime.now(UTC)
    with ledger.engine.begin() as conn:
        conn.execute(
            insert(StatusEvent).values(
                event_id="EV-NAT-0-2",
                national_id="NAT-0",
                service_id=SERVICE,
                region=REGION,
                sequence=2,
                local_status="PROSES",
                national_status="processing",
                changed_at=now,
                state="rejected",
                attempts=1,
                next_attempt_at=now,
                created_at=now,
            )
        )
        ledger._dead_letter(conn, "event", "EV-NAT-0-2", SERVICE, REGION, "inbound", EVENT_REASON, None)
    ledger.quarantine(
        REGION,
        SERVICE,
        "inbound",
        "EV-LOC-0093",
        UNMAPPED_REASON,
        {"event_id": "EV-LOC-0093", "local_reference": RECORD_REFERENCE, "national_id": None, "local_status": "ARSIP"},
    )
    by_ref = {d["ref"]: int(d["id"]) for d in ledger.dead_letters()}
    return {
        "refused": by_ref["NAT-1"],
        "gave_up": by_ref["NAT-2"],
        "event": by_ref["EV-NAT-0-2"],
        "record": by_ref["EV-LOC-0093"],
        "bulk": BULK,
    }
