"""Reading an iterator one item ahead on a thread of its own: the next page of a feed is fetched while
the caller works on the current one (the local system answers in its own process)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield what ``items`` yields, in order, with up to ``depth`` items fetched ahead by a worker thread.

    An exception of ``items`` is raised here, at the point it happened. When the caller stops early
    (``break``, ``close()``), the worker stops after the item it is fetching. ``items`` must not share
    anything unsafe with the caller's thread while it runs (e.g. its own HTTP session is fine)."""
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            put(("error", exc))

    worker = threading.Thread(target=work, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()
