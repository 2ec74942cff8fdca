"""Asking a person at a terminal, one question at a time (``mpphub init``, ``mpphub adopt``).

Each answer is read (``parse``: ValueError with the reason when it is none) and checked (``check``: the
validator's reasons against it) as it is given; a wrong one is asked again with the reason and costs none
of the answers before it. Enter keeps the value shown in brackets. Ending the questions early — end of
input (Ctrl-D) or an interrupt (Ctrl-C) — is turned into an exit code by ``asked`` after a one-line
message, so the caller writes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from hub.messages import t

EXIT_EOF, EXIT_INTERRUPT = 1, 130


def at_a_terminal(no_input: bool = False) -> bool:
    """Whether questions may be asked: stdin is a terminal and ``--no-input`` was not given."""
    return sys.stdin.isatty() and not no_input


def read_choice(answer: str, choices: list[str]) -> str:
    """One of ``choices``, by name (any case) or by its number from 1; ValueError naming the nearest."""
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return choices[int(answer) - 1]
    if answer.lower() in choices:
        return answer.lower()
    if answer in choices:
        return answer
    from registry.suggest import did_you_mean

    near = did_you_mean(answer.lower(), choices)
    hint = t("cli.did_you_mean", match=near.split("'")[1]) if near else ""
    raise ValueError(t("init.not_a_choice", answer=answer[:60], hint=hint))


def read_whole_number(answer: str) -> int:
    """An integer; ValueError in the run's language otherwise."""
    try:
        return int(answer)
    except ValueError:
        raise ValueError(t("init.whole_number")) from None


def show_choices(choices: list[str]) -> None:
    """List a closed list, numbered, before its question."""
    print(t("init.choices", choices=", ".join(f"{i} {c}" for i, c in enumerate(choices, 1))))


def ask(
    label: str,
    current: Any,
    parse: Callable[[str], Any],
    check: Callable[[Any], list[str]],
) -> Any:
    """Ask ``label [current]:`` until an answer is read and checked without a reason; return its value.
    Enter gives ``current`` (checked too: a default may be incomplete). Raises EOFError / KeyboardInterrupt
    when the person ends the questions."""
    shown = "" if current is None else current
    while True:
        answer = input(f"{label} [{shown}]: ").strip()
        try:
            value = current if not answer else parse(answer)
        except ValueError as exc:
            print(t("init.rejected", reason=exc), file=sys.stderr)
            continue
        reasons = check(value)
        if not reasons:
            return value
        for reason in reasons:
            print(t("init.rejected", reason=reason), file=sys.stderr)


def asked(questions: Callable[[], None], cancelled_key: str) -> int | None:
    """Run ``questions``; None when they were all answered, else the exit code after saying, in one line
    (``cancelled_key``, a message with a ``why`` field), that they were ended early: 1 for end of input,
    130 for an interrupt."""
    try:
        questions()
    except EOFError:  # Ctrl-D: the person gave up on the questions
        _cancelled(cancelled_key, "eof")
        return EXIT_EOF
    except KeyboardInterrupt:  # Ctrl-C
        _cancelled(cancelled_key, "interrupt")
        return EXIT_INTERRUPT
    return None


def _cancelled(key: str, why: str) -> None:
    if sys.stdout.isatty():  # end the line the prompt left the cursor on
        print()
    print(t(key, why=t(f"init.why.{why}")), file=sys.stderr)
