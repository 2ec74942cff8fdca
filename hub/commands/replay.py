"""List dead letters, or send them again after a fix.

Without ids: list the open dead letters (kind, reference, service, reason). With ids (or --all with
--region/--service): put them back in line; the next `mpphub sync` moves them. Back at their place, not
at the end: an application goes first among those of its service still queued (a dead letter of the retry
budget held its queue until now), an event keeps its sequence. Quarantined local records (kind `record`) are
re-read from the local system by the next inbound run after a package fix.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub replay``."""
    parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="dead-letter ids to replay")
    parser.add_argument("--all", action="store_true", help="replay every open dead letter matching --region/--service")
    parser.add_argument("--region", help="only this region")
    parser.add_argument("--service", help="only this service id")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="listing format")


def run(args: argparse.Namespace) -> int:
    """List or replay."""
    from connectors.ledger.store import Ledger
    from hub.commands._ledger import clock_of
    from hub.replaying import replay_dead_letter
    from hub.settings import STATE_DIR, Settings

    settings = Settings.from_env()
    if settings.ledger_url.startswith("sqlite:///"):
        STATE_DIR.mkdir(parents=True, exist_ok=True)
    ledger = Ledger.open(settings.ledger_url, clock=clock_of(args))
    try:
        letters = ledger.dead_letters(region=args.region, service_id=args.service)
        if not args.ids and not args.all:
            if args.format == "json":
                print(json.dumps(letters, default=str, ensure_ascii=False))
            else:
                for letter in letters:
                    print(
                        f"{letter['id']:>6}  {letter['kind']:<12}{letter['service_id']:<40}{letter['ref'][:44]:<46}{letter['reason']}"
                    )
                print(f"{len(letters)} open dead letter(s)")
            return 0
        chosen = [letter["id"] for letter in letters] if args.all else args.ids
        known = {letter["id"] for letter in letters}
        missing = [i for i in chosen if i not in known]
        if missing:
            print(f"mpphub replay: no open dead letter with id {', '.join(map(str, missing))}")
            return 2
        actor = _actor()
        for letter_id in chosen:
            replayed = replay_dead_letter(ledger, letter_id, actor)
            if replayed is None:  # replayed by someone else meanwhile
                print(f"dead letter {letter_id} is no longer open")
                continue
            print(f"replayed {letter_id}: {replayed['kind']} {replayed['ref']} (audit #{replayed['audit_seq']})")
        return 0
    finally:
        ledger.close()


def _actor() -> str:
    """``cli:<login>``."""
    from hub.commands.publish import _actor as actor

    return actor()
