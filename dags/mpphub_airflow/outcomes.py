"""How the sync engine's results become Airflow task outcomes.

``SyncEngine.run_service`` classifies what happened (``connectors/errors.py``) and records every run in
the ledger; it does not raise. Here:

- a **fatal** error (bad credentials, contract error, missing secret) fails the task *without* retry
  (``AirflowFailException``), with the reason in the log: retrying cannot help until a person fixes it;
- a **retriable** error (timeouts, 429, 5xx, a broken body) raises ``AirflowException``: Airflow retries
  the task with exponential backoff (the DAGs' ``retries``, ``retry_exponential_backoff``,
  ``max_retry_delay``);
- **record-level** errors were already quarantined in the ledger as dead letters by the flows: the task
  succeeds and returns the counts (``*.dead``, ``*.quarantined``, ``*.rejected``) as its XCom.

A task that runs several services (only when a region has more than 1,024) reports all of them; one
fatal service fails the batch, since a person must act anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

RECORD_LEVEL_SUFFIXES = (".dead", ".quarantined", ".rejected")


class _Result(Protocol):
    service_id: str
    counts: Counter[str]
    errors: list[str]
    fatal: str | None
    skipped: list[str]


@dataclass
class Verdict:
    """What a batch of ``ServiceResult`` amounts to."""

    counts: Counter[str] = field(default_factory=Counter)
    fatal: list[str] = field(default_factory=list)
    retriable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def record_level(self) -> int:
        """Records quarantined in the ledger during this run."""
        return sum(n for key, n in self.counts.items() if key.endswith(RECORD_LEVEL_SUFFIXES))

    def summary(self) -> dict[str, Any]:
        """The task's return value (XCom): counts and what was quarantined or skipped."""
        return {
            "counts": dict(sorted(self.counts.items())),
            "quarantined": self.record_level,
            "skipped": self.skipped,
        }


def judge(results: Iterable[_Result]) -> Verdict:
    """Fold results: fatal reasons, retriable errors (errors of services that had no fatal one), counts."""
    verdict = Verdict()
    for result in results:
        verdict.counts.update(result.counts)
        verdict.skipped.extend(f"{result.service_id}: {flow}" for flow in result.skipped)
        if result.fatal:
            verdict.fatal.append(f"{result.service_id}: {result.fatal}")
        else:
            verdict.retriable.extend(f"{result.service_id}: {error}" for error in result.errors)
    return verdict


def raise_for(verdict: Verdict) -> dict[str, Any]:
    """Raise what Airflow must see; return the summary when the task succeeds."""
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    if verdict.fatal:
        raise AirflowFailException("fatal, not retried (fix it, then clear the task): " + "; ".join(verdict.fatal))
    if verdict.retriable:
        raise AirflowException("retriable, Airflow retries with backoff: " + "; ".join(verdict.retriable))
    return verdict.summary()
