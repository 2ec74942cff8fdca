"""Compatibility shim: apache-airflow-providers-celery 3.26.0 imports ``retry`` from
``celery.backends.database``, which celery 5.7.0 (both pinned in constraints.txt) no longer has: the
CeleryExecutor and ``airflow celery worker`` fail at import without it.

celery 5.7's DatabaseBackend retries database errors by itself (``result_backend_always_retry``), so a
pass-through decorator keeps the provider's behaviour. Put this folder on PYTHONPATH of the Airflow
processes (the distributed test and docker-compose.yml do). Remove it once the pins are fixed (celery
5.5.x with this provider, or a provider release that supports celery 5.7).
"""

from __future__ import annotations

try:
    import celery.backends.database as _database
except ImportError:  # no celery here: nothing to fix
    pass
else:
    if not hasattr(_database, "retry"):
        _database.retry = lambda function: function  # type: ignore[attr-defined]
