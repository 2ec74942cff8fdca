"""The coordinators' dashboard: a no-build-step single-page app in ``static/``, served by the hub API at ``/``."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""Where index.html, the ES modules and the stylesheet live (shipped as package data)."""
