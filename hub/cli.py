"""``mpphub``: the command line of the hub.

Start-up time matters (``mpphub validate one.json`` is run in editors and hooks; target 50 ms including
the interpreter's own start), so: ``mpphub validate PATH...`` without options skips argparse (its import,
gettext and the building of every command's parser cost ~5 ms); otherwise only the command being run
has its module imported and its arguments built; and each command imports its dependencies when it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from connectors.clock import Clock

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

# command name -> (module under hub.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check service package files and folders"),
    "init": ("init", "write a valid starter package for a region's service"),
    "diff": ("diff", "classify the change between two versions of a package (patch/minor/major)"),
    "check": ("check", "dry-run a package against a region's local system (read-only unless --write)"),
    "publish": ("publish", "add a validated package or template to the registry as an immutable version"),
    "templates": ("templates", "list shared templates and connector profiles, with how many regions adopt each"),
    "adopt": ("adopt", "write a region's overlay adopting a template, and list what it must still supply"),
    "upgrade": ("upgrade", "move an adopting package to a newer template version and bump its version"),
    "onboard": ("onboard", "write a whole region's overlays from many templates in one go"),
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


def _command_module(name: str) -> Any:
    return __import__(f"hub.commands.{COMMANDS[name][0]}", fromlist=["run"])  # importlib itself costs start-up


def _terminal_columns() -> int:
    """The help width rule of ``shutil.get_terminal_size``, without importing shutil (and bz2, lzma...)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _command_word(argv: Sequence[str]) -> str | None:
    """The command word of the arguments: the first one that is neither an option nor ``--lang``'s value."""
    after_lang = False
    for arg in argv:
        if after_lang:
            after_lang = False
        elif arg == "--lang":
            after_lang = True
        elif not arg.startswith("-"):
            return arg
    return None


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word of the arguments, if it names a command."""
    first = _command_word(argv)
    return first if first in COMMANDS else None


def _lang_of(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` (``--lang id`` or ``--lang=id``) wherever it is given, checked by argparse."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's, via the package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mpp-hub")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _unknown_command(word: str) -> None:
    """``mpphub valdiate``: say so, suggest the nearest command, exit 2 (a usage error, as argparse's)."""
    from hub.messages import t
    from registry.suggest import did_you_mean

    near = did_you_mean(word, COMMANDS)
    hint = t("cli.did_you_mean", match=near.split("'")[1]) if near else ""
    print(t("cli.unknown_command", word=word[:60], hint=hint), file=sys.stderr)
    print(t("cli.see_help"), file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def plain_validate_args(argv: Sequence[str]) -> Any:
    """The arguments of ``mpphub validate PATH...`` when no option is given, parsed without argparse
    (None for anything else). The defaults are the parser's: ``tests/registry/test_cold_start.py`` compares them."""
    if len(argv) < 2 or argv[0] != "validate" or any(arg.startswith("-") for arg in argv[1:]):
        return None
    from types import SimpleNamespace

    return SimpleNamespace(
        command="validate",
        paths=list(argv[1:]),
        format="text",
        against_previous=False,
        registry="registry",
        jobs=None,
        lang=None,
        _module=_command_module("validate"),
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. Every command is listed; the arguments (and so the module) of a command are
    loaded for all commands, or with ``only`` for that command alone (what ``main`` does)."""
    import argparse

    class Parser(argparse.ArgumentParser):
        """argparse, but usage errors exit 2 with one line and no traceback (argparse's own convention)."""

    class Version(argparse.Action):
        """``--version``: the version is looked up only when asked for (importlib.metadata costs start-up)."""

        def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
            print(f"mpphub {package_version()}")
            parser.exit()

    class Formatter(argparse.HelpFormatter):
        """argparse's formatter without its ``import shutil``: argparse builds one per argument added."""

        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24) -> None:
            super().__init__(prog, indent_increment, max_help_position, width=_terminal_columns() - 2)

    parser = Parser(
        prog="mpphub",
        description="mpp-hub: service packages, catalogue and sync for MPP Digital.",
        epilog="Run 'mpphub COMMAND --help' for a command's options. Exit codes: 0 ok, 1 problems found, 2 usage error.",
        formatter_class=Formatter,
    )
    parser.add_argument(
        "--version", action=Version, nargs=0, default=argparse.SUPPRESS, help="print the version of mpp-hub and exit"
    )
    lang_help = "language of the CLI's own texts: en (default) or id (Bahasa Indonesia); default: the locale"
    parser.add_argument("--lang", choices=["en", "id"], default=None, help=lang_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, formatter_class=Formatter)
            continue
        module = _command_module(name)
        command_parser = sub.add_parser(name, help=help_text, description=module.__doc__, formatter_class=Formatter)
        # also after the command (`mpphub init --lang id ...`); SUPPRESS keeps an absent one from
        # overwriting the value given before the command
        command_parser.add_argument("--lang", choices=["en", "id"], default=argparse.SUPPRESS, help=lang_help)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Entry point of the ``mpphub`` console script; returns the exit code.

    ``clock``: the time the command's ledger and sync keep (``connectors/clock.py``; None: the system's).
    Only a caller in the same process passes one — a test that lets hours of backoff pass between two
    commands; commands read it as ``args.clock`` (``hub.commands._ledger.clock_of``)."""
    try:
        return _run(argv, clock)
    except KeyboardInterrupt:
        # anywhere: also while the command's module is imported or its arguments parsed, the first
        # tenth of a second in which a Ctrl-C used to print a traceback instead of this line
        from hub.messages import t

        print(t("cli.interrupted"), file=sys.stderr)
        return 130


def _run(argv: Sequence[str] | None, clock: Clock | None) -> int:
    """Parse the arguments and run the command (``main`` without its Ctrl-C handling)."""
    from hub.output import closed_pipes_tolerated

    # `mpphub validate . | head -1`: output the reader no longer wants is dropped, so the command still
    # ends with its own exit code (1 when problems were found), without a BrokenPipeError traceback
    with closed_pipes_tolerated():
        arguments = sys.argv[1:] if argv is None else list(argv)
        plain = plain_validate_args(arguments)
        from hub.messages import set_language  # light: the fast validate path prints its summary with it

        # before argparse, so "did you mean" speaks it too; reset on each run (tests run many in one process)
        set_language(None if plain else _lang_of(arguments))
        if plain is None:
            word = _command_word(arguments)
            if word is not None and word not in COMMANDS and not {"-h", "--help", "--version"} & set(arguments):
                _unknown_command(word)
        args = plain or build_parser(only=_command_of(arguments) or "").parse_args(arguments)
        args.clock = clock
        if plain is None:  # the fast validate path logs nothing and keeps its cold start
            from connectors.masking import install_log_masking

            install_log_masking()
        code: int = args._module.run(args)
        return code


if __name__ == "__main__":
    sys.exit(main())
