"""Indonesia's three time zones, and which one each region keeps (by its province).

WIB (UTC+7): Sumatra, Java, Bangka Belitung, Riau Islands, West and Central Kalimantan. WITA (UTC+8): Bali,
Nusa Tenggara, South, East and North Kalimantan, Sulawesi. WIT (UTC+9): Maluku and the Papua provinces.
(Law: Keputusan Presiden Nomor 41 Tahun 1987.) A local system's times without an offset are read in its
package's ``local_system.time_zone``, else in its region's zone from this table.
"""

from __future__ import annotations

from datetime import timedelta, timezone

ZONES = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}

_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}


def region_zone(region: str) -> str:
    """The zone a region keeps (WIB, WITA or WIT), by the province its Kemendagri code starts with."""
    province = region[:2]
    if province in _WIT_PROVINCES:
        return "WIT"
    if province in _WITA_PROVINCES:
        return "WITA"
    return "WIB"


def package_zone(package: dict[str, object]) -> timezone:
    """The zone of a package's local times: its declared ``local_system.time_zone``, else its region's."""
    local = package.get("local_system")
    declared = local.get("time_zone") if isinstance(local, dict) else None
    if isinstance(declared, str) and declared in ZONES:
        return ZONES[declared]
    return ZONES[region_zone(str(package.get("region", "")))]
