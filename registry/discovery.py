"""Turn the PATHs a user gives into the package files to check."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

# Not packages: the registry index, and immutable published copies (checked when they were published).
INDEX_FILE_NAME = "index.json"
SKIPPED_DIRS = {"published", "node_modules", "__pycache__"}


class PathError(ValueError):
    """A PATH argument that names nothing usable (a usage error: exit 2)."""


def discover(paths: Iterable[str]) -> list[Path]:
    """Files given explicitly are kept as they are; folders are searched for ``*.json`` package files,
    skipping hidden folders, ``published/`` copies and ``index.json``. Sorted, without repeats."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
                for name in sorted(files):
                    if name.endswith(".json") and name != INDEX_FILE_NAME and not name.startswith("."):
                        found[Path(root) / name] = None
        elif path.exists() or path.is_symlink():
            found[path] = None
        else:
            raise PathError(f"{raw}: no such file or folder")
    return list(found)
