"""A non-editable install (the Docker image of the production shape) ships the contracts and the region data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_ships_schemas_and_region_table(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("mpp_hub-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "schemas/service-package.schema.json",
        "schemas/application-envelope.schema.json",
        "registry/data/idn-area-data/provinces.csv",
        "registry/data/idn-area-data/regencies.csv",
        "registry/data/idn-area-data/LICENSE-ODbL.md",
        "registry/data/idn-area-data/README.md",
        "hub/cli.py",
        "hub/dashboard/static/index.html",
        "hub/dashboard/static/app.js",
    ):
        assert required in names, required
