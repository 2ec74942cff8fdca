"""Bearer tokens of the hub API: create (printed once, stored hashed), list, revoke.

Roles: `region` (its own region: read, publish; needs --region), `coordinator` (read all), `operator`
(read all, replay dead letters, settings).
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub token``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--name", required=True, help="who or what uses it (unique)")
    create.add_argument("--role", required=True, choices=["region", "coordinator", "operator"])
    create.add_argument("--region", help="region code for the region role (e.g. 35.76)")
    listing = sub.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    revoke = sub.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")


def run(args: argparse.Namespace) -> int:
    """Create, list or revoke."""
    from hub.commands._ledger import clock_of, open_ledger
    from hub.tokens import TokenError, create_token, list_tokens, revoke_token

    ledger = open_ledger(clock=clock_of(args))
    try:
        if args.action == "create":
            try:
                token = create_token(ledger.engine, args.name, args.role, args.region, clock=ledger.clock)
            except TokenError as exc:
                print(f"mpphub token create: {exc}", file=sys.stderr)
                return 2
            print(token)
            print(
                f"token '{args.name}' ({args.role}{' ' + args.region if args.region else ''}) created: "
                "it is shown only now; the hub keeps its sha256",
                file=sys.stderr,
            )
            return 0
        if args.action == "revoke":
            try:
                revoke_token(ledger.engine, args.name, clock=ledger.clock)
            except TokenError as exc:
                print(f"mpphub token revoke: {exc}", file=sys.stderr)
                return 1
            print(f"token '{args.name}' revoked")
            return 0
        rows = list_tokens(ledger.engine)
        if args.format == "json":
            print(json.dumps(rows, default=str, ensure_ascii=False))
            return 0
        for row in rows:
            state = "revoked" if row["revoked_at"] else "active"
            used = row["last_used_at"] or "never"
            print(f"{row['name']:<24}{row['role']:<13}{row['region'] or '-':<8}{state:<9}last used {used}")
        print(f"{len(rows)} token(s)")
        return 0
    finally:
        ledger.close()
