"""The hub's HTTP API (FastAPI): health, catalogue, publish, dead letters, audit, metrics."""
