"""``mpphub``: the command line of the hub.

Start-up time matters (``mpphub validate one.json`` is run in editors and hooks), so this module imports
only argparse and each command imports its own dependencies when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

# command name -> (module under hub.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check service package files and folders"),
    "init": ("init", "write a valid starter package for a region's service"),
    "diff": ("diff", "classify the change between two versions of a package (patch/minor/major)"),
    "check": ("check", "dry-run a package against a region's local system (read-only unless --write)"),
    "publish": ("publish", "add a validated package to the registry as an immutable version"),
    "catalogue": ("catalogue", "list the services of the registry index"),
    "sync": ("sync", "run the sync flows (catalogue, outbound, walk-ins, inbound) once or continuously"),
    "replay": ("replay", "list dead letters, or send them again after a fix"),
    "reconcile": ("reconcile", "compare per-(region, service, day) counts and checksums with the national layer"),
    "demo": ("demo", "the embedded demo: sandbox, catalogue, citizens, officers, sync, summary against the truth"),
    "sandbox": ("sandbox", "run the sandbox national layer and simulated local systems (mpphub sandbox up)"),
    "serve": ("serve", "serve the hub API and the dashboard (uvicorn)"),
    "token": ("token", "create, list or revoke bearer tokens of the hub API"),
    "status": ("status", "health per region (or one region's services): state, lag, backlog, failures, SLA"),
    "alerts": ("alerts", "regions that stalled or cross backlog / dead-letter thresholds (exit 1 if any)"),
    "audit": ("audit", "list the audit log or verify its hash chain"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with one line and no traceback (argparse's own convention)."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (each command adds its own arguments)."""
    parser = _Parser(
        prog="mpphub",
        description="mpp-hub: service packages, catalogue and sync for MPP Digital.",
        epilog="Run 'mpphub COMMAND --help' for a command's options. Exit codes: 0 ok, 1 problems found, 2 usage error.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(f"hub.commands.{module_name}")
        command_parser = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mpphub`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args._module.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `mpphub validate . | head`
        return code if "code" in locals() else EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
