"""The one operator of the generated DAGs: runs a hub task over a batch of ids.

A custom operator rather than ``@task`` or ``PythonOperator`` because it is mapped over *flat strings*:
Airflow walks every literal mapping argument looking for XComs, and at 100,000 services a list of
lists (``op_args``) or a per-region ``@task.override`` costs seconds of parse time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow.sdk import BaseOperator

from mpphub_airflow import tasks

ACTIONS: dict[str, Callable[[list[str]], dict[str, Any]]] = {
    "sync": tasks.sync_services,
    "publish": tasks.publish_catalogue,
    "reconcile": tasks.reconcile_regions,
}


class HubOperator(BaseOperator):
    """Run ``action`` (``sync``, ``publish`` or ``reconcile``) for ``ids``: one id, or several joined by
    commas (service and region ids never hold one)."""

    template_fields = ()
    ui_color = "#e8f4ea"

    def __init__(self, *, action: str, ids: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; one of {sorted(ACTIONS)}")
        self.action = action
        self.ids = ids

    def execute(self, context: Any) -> dict[str, Any]:
        """Run the action; the return value is the task's XCom (counts)."""
        result: dict[str, Any] = ACTIONS[self.action]([i for i in self.ids.split(",") if i])
        return result
