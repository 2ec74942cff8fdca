"""GET /api/v1/templates: how standard the nation is, per template (issue 11, item 5). Counts are national;
a region team sees its own region's packages only; a request without a token is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from registry.publish import publish
from registry.templates import forget_cached_templates
from tests.hub.conftest import OTHER_REGION, REGION, Api

ROOT = Path(__file__).resolve().parents[2]


def _adopt(api: Api, region: str, extra_lines: int = 0) -> None:
    hand = json.loads((ROOT / "registry/packages/35.76/izin-penelitian.json").read_text(encoding="utf-8"))
    local = dict(hand["local_system"], auth={"type": "bearer", "secret_ref": f"R{region.replace('.', '')}_X"})
    overlay: dict[str, Any] = {
        "schema_version": "1",
        "id": f"{region}/izin-penelitian-adopted",
        "version": "1.0.0",
        "region": region,
        "extends": {"template": "nasional/izin-penelitian", "version": "1.0.0"},
        "service": {"agency": "Bakesbangpol", "description": hand["service"]["description"]},
        "local_system": local,
        "contact": hand["contact"],
    }
    path = api.registry / "packages" / region / "izin-penelitian-adopted.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(overlay, indent=2 + extra_lines) + "\n", encoding="utf-8")
    assert publish(path, api.registry).outcome == "published"


def test_templates_show_adoption_and_divergence(api: Api) -> None:
    forget_cached_templates()
    shutil.copytree(ROOT / "registry/templates", api.registry / "templates", dirs_exist_ok=True)
    assert publish(api.registry / "templates/nasional/izin-penelitian.json", api.registry).outcome in (
        "published",
        "unchanged",
    )
    # the sample registry's own adopters (Jawa Timur regions running SIPENA), before this test's two
    sample = json.loads((api.registry / "index.json").read_text(encoding="utf-8"))["packages"]
    before = {
        e["region"]
        for e in sample.values()
        if e["versions"][e["latest"]].get("template", "").startswith("nasional/izin-penelitian@")
    }
    assert REGION not in before and OTHER_REGION not in before
    _adopt(api, REGION)
    _adopt(api, OTHER_REGION)
    response = api.get("/api/v1/templates")
    assert response.status_code == 200, response.text
    row = next(r for r in response.json() if r["id"] == "nasional/izin-penelitian")
    n = len(before) + 2
    assert (row["adopting"], row["by_version"], row["behind_latest"], row["regions"]) == (n, {"1.0.0": n}, 0, n)
    assert {p["package_id"] for p in row["most_divergent"][:2]} == {  # their whole local systems: the longest
        f"{REGION}/izin-penelitian-adopted",
        f"{OTHER_REGION}/izin-penelitian-adopted",
    }
    mine = next(r for r in api.get("/api/v1/templates", role="region").json() if r["id"] == row["id"])
    assert mine["adopting"] == n  # national counts ...
    assert [p["package_id"] for p in mine["most_divergent"]] == [f"{REGION}/izin-penelitian-adopted"]  # ... own rows
    assert api.get("/api/v1/templates", role=None).status_code == 401
