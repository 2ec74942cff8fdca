"""Drill fixtures. (No clock to reset: each drill's world keeps its own time, ``World.let_pass``.)"""

from __future__ import annotations

from tests.connectors.conftest import pg_url  # noqa: F401 - a fresh PostgreSQL database per drill
