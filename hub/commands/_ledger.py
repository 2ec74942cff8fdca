"""Opening the ledger from settings, for the commands that only read or administer it."""

from __future__ import annotations

from connectors.ledger.store import Ledger
from hub.settings import STATE_DIR, Settings


def open_ledger(settings: Settings | None = None) -> Ledger:
    """The ledger named by ``MPPHUB_LEDGER_URL`` (default: ``.mpphub/ledger.db``), migrated."""
    settings = settings or Settings.from_env()
    if settings.ledger_url.startswith("sqlite:///") and not settings.ledger_url.startswith("sqlite:////"):
        STATE_DIR.mkdir(parents=True, exist_ok=True)
    return Ledger.open(settings.ledger_url)
