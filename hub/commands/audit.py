"""The audit log of publishes and replays: `mpphub audit list` shows it, `mpphub audit verify` recomputes
its hash chain and exits 1 at the first record that was edited or deleted.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub audit``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="the newest records")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--format", choices=["text", "json"], default="text")
    verify = sub.add_parser("verify", help="recompute the hash chain (exit 1 on tampering)")
    verify.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        help="a head printed by an earlier verify (kept elsewhere): that record must still be there, unchanged",
    )


def run(args: argparse.Namespace) -> int:
    """List or verify."""
    from hub.commands._ledger import clock_of, open_ledger

    ledger = open_ledger(clock=clock_of(args))
    try:
        if args.action == "verify":
            broken = ledger.verify_audit()
            count = ledger.audit_count()
            if broken is not None:
                print(f"audit chain BROKEN at seq {broken.seq}: {broken.reason}")
                return 1
            if args.anchor:
                seq_text, _, digest = args.anchor.partition(":")
                if not seq_text.isdigit() or len(digest) != 64:
                    print("mpphub audit verify: --anchor must be SEQ:HASH as printed by verify")
                    return 2
                held = ledger.audit_record(int(seq_text))
                if held is None or held["hash"] != digest:
                    print(
                        f"audit chain BROKEN at seq {seq_text}: the anchored record is gone or changed (deleted tail?)"
                    )
                    return 1
            head = ledger.audit_records(1)
            print(f"audit chain intact: {count} record(s)")
            if head:
                print(f"head {head[0]['seq']}:{head[0]['hash']} (keep it elsewhere; --anchor checks it later)")
            return 0
        records = ledger.audit_records(max(1, args.limit))
        if args.format == "json":
            print(json.dumps(records, ensure_ascii=False, default=str))
            return 0
        for r in records:
            print(f"{r['seq']:>6}  {r['at']}  {r['actor']:<24}{r['action']:<10}{r['subject']}")
        print(f"{len(records)} record(s)")
        return 0
    finally:
        ledger.close()
