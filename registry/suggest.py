"""'Did you mean' suggestions for near-miss names."""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or an empty string. The word itself is
    never suggested: a name that is already a candidate is not a near miss of it."""
    import difflib  # only problems need suggestions: kept off the start-up path of valid packages

    match = difflib.get_close_matches(word, [c for c in candidates if c != word], n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""
