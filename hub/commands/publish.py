"""Add a validated package or template to the registry as an immutable version and update registry/index.json.

A package that extends a template is published composed (the frozen whole, with its template lineage in
the index); a template goes to published/templates/ (docs/templates.md). Re-publishing a version with identical bytes changes nothing; with other content it is refused. A new
version must be above the latest and bumped at least as much as the change needs (see `mpphub diff`).
A package still holding the starter's placeholders (``mpphub init``'s ``Nama layanan``, ``layanan.example.go.id``,
the placeholder Perda...) is refused, each placeholder listed at its JSON path: a draft may keep them, a
published version may not.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.placeholders import Found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``mpphub publish``."""
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="package or template files to publish")
    parser.add_argument(
        "--registry", type=Path, default=Path("registry"), metavar="DIR", help="registry folder (default: registry)"
    )


def run(args: argparse.Namespace) -> int:
    """Publish each file; exit 1 if any was refused."""
    from hub.host_checks import publish_check
    from hub.messages import count, t
    from hub.output import print_problems
    from registry.publish import publish

    refused = 0
    ledger = None
    for file in args.files:
        result = publish(file, args.registry, extra_check=publish_check())
        if result.outcome == "refused":
            refused += 1
            print_problems([p for p in result.problems if p.rule != "starter-placeholder"], "text")
            if result.placeholders:
                _print_placeholders(str(file), result.placeholders)
                print(
                    t("publish.placeholders_summary", file=file, count=count(len(result.placeholders), "placeholder"))
                )
            print(t("publish.refused", file=file))
        elif result.outcome == "unchanged":
            print(t("publish.unchanged", package=result.package_id, version=result.version))
        else:
            ledger = ledger or _open_audit()
            seq = ledger.append_audit(
                _actor(),
                "publish",
                f"{result.package_id}@{result.version}",
                {"version": result.version, "sha256": result.sha256, "via": "cli"},
            )
            print(
                t("publish.published", package=result.package_id, version=result.version, sha256=result.sha256, seq=seq)
            )
    if ledger is not None:
        ledger.close()
    return 1 if refused else 0


def _print_placeholders(name: str, placeholders: Sequence[Found]) -> None:
    """Each placeholder still to replace, at its JSON path, worded in the run's language."""
    from hub.messages import language, t
    from registry.problems import Problem, json_path, quote

    for found in placeholders:
        message = t("publish.placeholder", value=quote(found.value), hint=found.placeholder.hint(language()))
        print(Problem(name, json_path(found.path), message, "starter-placeholder").as_line())


def _open_audit() -> Any:
    """The ledger that holds the audit log (MPPHUB_LEDGER_URL)."""
    from hub.commands._ledger import open_ledger

    return open_ledger()


def _actor() -> str:
    """``cli:<login>``: who published, as far as this machine knows."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
