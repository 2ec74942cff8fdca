"""Bearer tokens of the hub API, kept in the ledger database as sha256 hashes only.

A token is 32 random bytes (``mpph_`` + URL-safe text): with that much entropy a plain sha256 cannot be
reversed or guessed, and lets a request be matched by an indexed lookup. The token itself is shown once,
at creation, and stored nowhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from connectors.clock import SYSTEM_CLOCK, Clock
from connectors.ledger.models import ApiToken
from connectors.ledger.types import as_utc
from registry.regions import region_table

ROLES = ("region", "coordinator", "operator")
PREFIX = "mpph_"
_TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is a hint: do not write on every request


class TokenError(ValueError):
    """A token cannot be created or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    name: str
    role: str
    region: str | None

    def can_read_region(self, region: str) -> bool:
        """Coordinators and operators read every region; a region team only its own."""
        return self.role != "region" or region == self.region


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    engine: Engine, name: str, role: str, region: str | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> str:
    """Create a token and return it (the only time it is visible); ``clock``: the ledger's, for its stamp."""
    name = name.strip()
    if not name or len(name) > 80:
        raise TokenError("the name must be 1 to 80 characters")
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role == "region":
        if not region:
            raise TokenError("a region token needs --region CODE (e.g. 35.76)")
        if region not in region_table():
            raise TokenError(f"unknown region code {region!r}")
    elif region:
        raise TokenError(f"a {role} token reads every region: leave --region out")
    token = PREFIX + secrets.token_urlsafe(32)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(ApiToken).values(
                    name=name, role=role, region=region, token_hash=token_hash(token), created_at=clock.now()
                )
            )
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists") from None
    return token


def list_tokens(engine: Engine) -> list[dict[str, object]]:
    """Every token's metadata (never the hash)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ApiToken.id,
                ApiToken.name,
                ApiToken.role,
                ApiToken.region,
                ApiToken.created_at,
                ApiToken.last_used_at,
                ApiToken.revoked_at,
            ).order_by(ApiToken.id)
        )
        return [{k: (as_utc(v) if isinstance(v, datetime) else v) for k, v in row._mapping.items()} for row in rows]


def revoke_token(engine: Engine, name: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """Revoke a token by name; it stops working at once (stamped with ``clock``, the ledger's)."""
    with engine.begin() as conn:
        done = conn.execute(
            update(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)).values(revoked_at=clock.now())
        )
        if done.rowcount != 1:
            raise TokenError(f"no active token named {name!r}")


def authenticate(engine: Engine, token: str, *, clock: Clock = SYSTEM_CLOCK) -> Principal | None:
    """The principal of a valid, unrevoked token, or None (``clock``, the ledger's: when it was last used)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = token_hash(token)
    now = clock.now()
    with engine.connect() as conn:
        row = conn.execute(
            select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.region, ApiToken.last_used_at).where(
                ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return None
    last = as_utc(row.last_used_at)
    if last is None or now - last > _TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return Principal(str(row.name), str(row.role), row.region)
