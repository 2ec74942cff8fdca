"""What ``bench/national_cycle.py`` counts during a cycle: the hub's HTTP requests (``HttpRecorder``, wrapped
around ``requests.Session.send``), the ledger's statements, transactions and rows written (``SqlCounter``,
from the engine's events), and the rows of every ledger table per service (``ledger_rows``)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import Engine, MetaData, event, func, select

_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


@dataclass
class HttpRecorder:
    """Wraps ``requests.Session.send`` in this process: counts every request per service ordinal and keeps
    the GETs (url, headers) for the baseline."""

    active: bool = False
    ordinal: int = 0  # the service whose run is in progress (0-based position in the cycle)
    per_service: Counter[int] = field(default_factory=Counter)
    seconds: dict[int, float] = field(default_factory=dict)
    methods: Counter[str] = field(default_factory=Counter)
    gets: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        """Wrap the class method (every session, every thread)."""
        original = requests.Session.send
        recorder = self

        def send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            if not recorder.active:
                return original(session, request, **kwargs)
            ordinal, started = recorder.ordinal, time.perf_counter()
            try:
                return original(session, request, **kwargs)
            finally:
                with recorder._lock:
                    recorder.per_service[ordinal] += 1
                    recorder.seconds[ordinal] = recorder.seconds.get(ordinal, 0.0) + time.perf_counter() - started
                    method = str(request.method)
                    recorder.methods[method] += 1
                    if method == "GET":
                        recorder.gets.append((ordinal, str(request.url), dict(request.headers)))

        requests.Session.send = send  # type: ignore[method-assign,assignment]


@dataclass
class SqlCounter:
    """Statements, transactions, rows inserted/updated and seconds in the database, of one engine."""

    statements: int = 0
    commits: int = 0
    seconds: float = 0.0
    writes: Counter[str] = field(default_factory=Counter)  # "INSERT sync_health" -> rows (whole numbers)

    def install(self, engine: Engine) -> None:
        """Listen to the ledger's engine (nothing in the engine changes)."""
        starts: dict[int, float] = {}

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            starts[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            self.seconds += time.perf_counter() - starts.pop(id(cursor), time.perf_counter())
            self.statements += 1
            match = _WRITE.match(statement)
            if match:
                rows = cursor.rowcount
                if rows is None or rows < 0:
                    rows = len(params) if many and isinstance(params, list | tuple) else 1
                self.writes[f"{match.group(1).split()[0].upper()} {match.group(2)}"] += rows

        @event.listens_for(engine, "commit")
        def _commit(conn: Any) -> None:
            self.commits += 1

    def snapshot(self) -> tuple[int, int, float, Counter[str]]:
        """The counters now."""
        return self.statements, self.commits, self.seconds, Counter(self.writes)


def ledger_rows(engine: Engine) -> dict[str, Counter[str]]:
    """Rows of every ledger table, per service (``""``: rows of no service, or of a table without one)."""
    counts: dict[str, Counter[str]] = {}
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            per: Counter[str] = Counter()
            if "service_id" in table.c:
                query = select(table.c.service_id, func.count()).group_by(table.c.service_id)
                for service, n in conn.execute(query):
                    per[str(service or "")] += int(n)
            elif table.name == "stream_lease":
                for stream, n in conn.execute(select(table.c.stream, func.count()).group_by(table.c.stream)):
                    per[str(stream).partition(":")[2]] += int(n)
            else:
                per[""] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            counts[table.name] = per
    return counts
