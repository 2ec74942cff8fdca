"""Facts the other layers read from the package schema (the single source of truth)."""

from __future__ import annotations


def test_transition_graph_matches_the_vocabulary() -> None:
    from registry.schemas import national_statuses, national_transitions, terminal_statuses

    graph = national_transitions()
    assert set(graph) == set(national_statuses())
    assert all(set(targets) <= set(national_statuses()) for targets in graph.values())
    assert {s for s, targets in graph.items() if not targets} == set(terminal_statuses())
    assert all("cancelled" in targets for s, targets in graph.items() if s not in terminal_statuses())
