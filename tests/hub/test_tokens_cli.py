"""Tokens: printed once by `mpphub token create`, stored as sha256 only, listed without secrets, revoked."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors.ledger.store import Ledger
from hub.tokens import authenticate


def _dump_database(url: str) -> str:
    """Every value of every table, as text."""
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        values = [str(row) for table in tables for row in conn.execute(text(f'SELECT * FROM "{table}"'))]  # noqa: S608
    engine.dispose()
    return "\n".join(values)


def test_the_database_never_holds_the_token(cli: Any, isolated_ledger: str) -> None:
    created = cli("token", "create", "--name", "kemenpan", "--role", "coordinator")
    assert created.code == 0
    token = created.out.strip()
    assert token.startswith("mpph_") and len(token) > 40
    assert "shown only now" in created.err
    stored = _dump_database(isolated_ledger)
    assert token not in stored
    assert token[5:25] not in stored  # not even a part of it
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    listing = cli("token", "list", "--format", "json")
    assert token not in listing.out and "token_hash" not in listing.out
    assert [(t["name"], t["role"], t["region"]) for t in listing.json()] == [("kemenpan", "coordinator", None)]
    ledger = Ledger.open(isolated_ledger)
    who = authenticate(ledger.engine, token)
    assert who is not None and (who.name, who.role) == ("kemenpan", "coordinator")
    assert cli("token", "revoke", "kemenpan").code == 0
    assert authenticate(ledger.engine, token) is None
    assert "revoked" in cli("token", "list").out
    ledger.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--role", "region"], "needs --region"),
        (["--name", "x", "--role", "region", "--region", "99.99"], "unknown region code"),
        (["--name", "x", "--role", "coordinator", "--region", "35.76"], "leave --region out"),
        (["--name", " ", "--role", "operator"], "1 to 80 characters"),
    ],
)
def test_token_create_refuses_bad_input(cli: Any, args: list[str], message: str) -> None:
    result = cli("token", "create", *args)
    assert result.code == 2 and message in result.err and result.out == ""


def test_a_name_is_unique_and_revoking_twice_fails(cli: Any) -> None:
    assert cli("token", "create", "--name", "ops", "--role", "operator").code == 0
    again = cli("token", "create", "--name", "ops", "--role", "operator")
    assert again.code == 2 and "already exists" in again.err
    assert cli("token", "revoke", "ops").code == 0
    assert cli("token", "revoke", "ops").code == 1
