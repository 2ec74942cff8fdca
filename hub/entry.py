"""The ``mpphub`` console script's entry: ``hub.cli.main`` behind a Ctrl-C guard for its own import.

A Ctrl-C while ``hub.cli`` is still being imported (``typing`` and the rest, the first tens of
milliseconds of every command) would end in a Python traceback: ``hub.cli.main`` handles Ctrl-C only
once it runs. This module imports nothing at its top, so the guard is in place as soon as the
interpreter hands over to it."""


def main() -> int:
    """Run ``mpphub`` with ``sys.argv``; 130 (and "interrupted" on stderr) on a Ctrl-C at any point."""
    try:
        from hub.cli import main as cli_main
    except KeyboardInterrupt:
        import sys

        from hub.messages import t  # --lang is not parsed yet: the locale's language

        print(t("cli.interrupted"), file=sys.stderr)
        return 130
    return cli_main()
