"""Durable SQLite storage of the national layer: schema, connections and transactions.

WAL journal, one connection per thread, every write in ``BEGIN IMMEDIATE`` (writers queue on SQLite's
lock, so an insert's row id order is its commit order — what keeps the application feed's cursor from
skipping rows). Data survives a restart: a new app on the same file sees everything committed before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS catalogue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  package_id TEXT NOT NULL, version TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
  sha256 TEXT NOT NULL, document TEXT NOT NULL, published_at TEXT NOT NULL,
  publish_count INTEGER NOT NULL DEFAULT 1,
  UNIQUE (package_id, version));
CREATE INDEX IF NOT EXISTS catalogue_region ON catalogue (region, seq);
CREATE TABLE IF NOT EXISTS applications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL CHECK (origin IN ('citizen', 'walk_in')),
  service_id TEXT NOT NULL, package_version TEXT NOT NULL, region TEXT NOT NULL, channel TEXT NOT NULL,
  submitted_at TEXT NOT NULL, day TEXT NOT NULL,
  initial_status TEXT NOT NULL, status TEXT NOT NULL, last_sequence INTEGER NOT NULL DEFAULT 0,
  form TEXT NOT NULL, received_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  local_reference TEXT, acknowledged_at TEXT,
  ack_count INTEGER NOT NULL DEFAULT 0, ack_conflicts INTEGER NOT NULL DEFAULT 0,
  registration_count INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS applications_local_reference ON applications (service_id, local_reference);
CREATE INDEX IF NOT EXISTS applications_feed ON applications (region, origin, seq);
CREATE INDEX IF NOT EXISTS applications_service_feed ON applications (service_id, origin, seq);
CREATE INDEX IF NOT EXISTS applications_day ON applications (region, day, service_id);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key TEXT PRIMARY KEY, application_id TEXT NOT NULL, service_id TEXT NOT NULL, local_reference TEXT NOT NULL,
  created_at TEXT NOT NULL, use_count INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS attachments (
  id TEXT PRIMARY KEY, application_id TEXT NOT NULL, position INTEGER NOT NULL,
  requirement_id TEXT NOT NULL, filename TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, url TEXT, content BLOB);
CREATE INDEX IF NOT EXISTS attachments_application ON attachments (application_id, position);
CREATE TABLE IF NOT EXISTS status_events (
  event_id TEXT PRIMARY KEY, application_id TEXT NOT NULL, sequence INTEGER NOT NULL, status TEXT NOT NULL,
  changed_at TEXT NOT NULL, note TEXT, fingerprint TEXT NOT NULL, received_at TEXT NOT NULL,
  received_count INTEGER NOT NULL DEFAULT 1,
  UNIQUE (application_id, sequence));
CREATE TABLE IF NOT EXISTS event_rejections (
  id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, application_id TEXT NOT NULL,
  sequence INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def utc_now() -> str:
    """Now as an RFC 3339 UTC timestamp with milliseconds (``2026-11-28T01:02:03.456Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """The national layer's SQLite database at ``path`` (created when absent)."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 30_000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.connection().executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode: transactions are explicit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable across process crashes
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``); rolled back on any exception."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several queries."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened (call once no request is running)."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def bump(conn: sqlite3.Connection, name: str, by: int = 1) -> None:
    """Add ``by`` to counter ``name`` inside the caller's transaction."""
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + ?",
        (name, by, by),
    )
