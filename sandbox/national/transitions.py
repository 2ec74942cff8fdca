"""The national status graph (DESIGN.md), read from the package schema — never redefined here."""

from __future__ import annotations

from functools import cache

from registry.schemas import national_statuses, national_transitions, terminal_statuses


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {status: frozenset(targets) for status, targets in national_transitions().items()}


def is_status(status: str) -> bool:
    """True for a status of the national vocabulary."""
    return status in national_statuses()


def is_terminal(status: str) -> bool:
    """True for a status an application cannot leave."""
    return status in terminal_statuses()


def transition_problem(current: str, new: str) -> str | None:
    """Why ``current -> new`` is illegal, or None when the graph allows it."""
    if is_terminal(current):
        return f"{current} is terminal: no status change is allowed after it"
    allowed = _graph().get(current, frozenset())
    if new in allowed:
        return None
    if new == current:
        return f"the application is already {current}"
    return f"{current} -> {new} is not allowed; from {current} the next status is one of: {', '.join(sorted(allowed))}"
