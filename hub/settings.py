"""The hub's settings, from environment variables (12-factor), with embedded defaults for one machine."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from connectors.production import DEVELOPMENT_HASH_KEY, SANDBOX_NATIONAL_TOKEN, production_problems

STATE_DIR = Path(os.environ.get("MPPHUB_STATE_DIR", ".mpphub"))


class Settings(BaseModel):
    """Everything configurable. Secrets (tokens, keys) come from the environment, never from files in git."""

    ledger_url: str = Field(default_factory=lambda: f"sqlite:///{STATE_DIR / 'ledger.db'}")
    registry: Path = Path("registry")
    national_url: str = "http://127.0.0.1:8700"
    national_token: str = SANDBOX_NATIONAL_TOKEN  # production sets MPPHUB_NATIONAL_TOKEN (enforced)
    hash_key: str = DEVELOPMENT_HASH_KEY  # production sets MPPHUB_HASH_KEY (enforced)
    # "production" refuses the public defaults above (so does a configured host policy)
    env: str = "development"
    # production: a comma-separated list of host patterns and networks packages may reach (empty: no check)
    allowed_hosts: str = ""
    # sandbox / dry runs: {"https://original.base.url": "http://127.0.0.1:8801"}
    base_url_overrides: dict[str, str] = Field(default_factory=dict)
    worker: str | None = None
    # a sync flow's lease on its stream: renewed by every write and between steps, so it only has to
    # outlast the longest single step (one HTTP call, 30 s timeout); a crashed worker's streams are taken
    # over this long after its last heartbeat
    lease_seconds: float = Field(default=120.0, ge=5.0, le=3600.0)
    # a flow run stops taking new work after this long and gives its stream back (the rest: next run)
    run_seconds: float = Field(default=300.0, gt=0.0, le=86400.0)
    # services of one `mpphub sync` cycle side by side (threads: connectors/sync/concurrency.py), and at
    # most this many on one local host at once
    sync_concurrency: int = Field(default=1, ge=1, le=64)
    sync_per_host: int = Field(default=2, ge=1, le=16)
    # the national feed of new applications: read once per cycle per region for all its services
    # (`region`), or once per service (`service`, for a national layer without the unfiltered feed)
    national_reads: Literal["region", "service"] = "region"
    # a region is `failing` (status, alerts, API, dashboard) when at least this share of its services fail
    failing_share: float = Field(default=0.05, gt=0.0, le=1.0)

    @field_validator("base_url_overrides", mode="before")
    @classmethod
    def _parse_json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) and value else value or {}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read ``MPPHUB_*`` variables (``MPPHUB_LEDGER_URL``, ``MPPHUB_NATIONAL_URL`` ...)."""
        env = os.environ if environ is None else environ
        values = {name: env[f"MPPHUB_{name.upper()}"] for name in cls.model_fields if f"MPPHUB_{name.upper()}" in env}
        return cls.model_validate(values)

    def production_problems(self) -> list[str]:
        """Why these settings may not start a production hub (serve, sync): public default secrets."""
        return production_problems(self.env, self.allowed_hosts, self.national_token, self.hash_key)

    def redacted(self) -> dict[str, object]:
        """For display: secrets replaced by their length."""
        shown = self.model_dump(mode="json")
        for secret in ("national_token", "hash_key"):
            shown[secret] = f"<{len(str(shown[secret]))} chars>"
        return shown
