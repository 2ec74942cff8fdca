"""Synthetic Indonesian identities for test data: NIK, KK, phone numbers, names, addresses.

NIK (Nomor Induk Kependudukan), 16 digits: ``PPKKCC`` the district (kecamatan) code of the region where
the person is registered, ``DDMMYY`` the birth date with 40 added to the day for women, then a 4-digit
serial (0001-9999). The KK (family card) number shares the district prefix, then its issue date and a
serial. District codes come from ``registry/data/idn-area-data/districts.csv`` (idn-area-data 4.0.1, ODbL).
Names, streets, cities and companies come from a ``NameSource``: ``PlainNames`` (short fixed lists, core
dependencies only) unless the caller brings a richer one (the sandbox's citizens use Faker ``id_ID``).
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Protocol

import registry.regions

DISTRICTS_FILE = Path(registry.regions.__file__).parent / "data" / "idn-area-data" / "districts.csv"
# mobile prefixes after the leading 0 (Telkomsel, Indosat, XL, Smartfren, Tri)
PHONE_PREFIXES = (
    *("811", "812", "813", "821", "822", "823", "852", "853", "855", "856", "857", "858", "877", "878"),
    *("881", "882", "895", "896", "897", "898", "899"),
)
DEFAULT_REGION = "35.76"  # Kota Mojokerto, the sample registry's first region
MAIL_DOMAINS = ("gmail.com", "yahoo.co.id", "yahoo.com", "outlook.com", "ymail.com")
FEMALE_ROLES = {"ibu", "istri"}
MALE_ROLES = {"ayah", "suami"}
# never real people: common given and family names, combined at random
_GIVEN_FEMALE = ("Siti", "Dewi", "Rina", "Sri", "Putri", "Lestari", "Ayu", "Wulan", "Indah", "Nur")
_GIVEN_MALE = ("Budi", "Agus", "Joko", "Wahyu", "Eko", "Hadi", "Bambang", "Rizky", "Dedi", "Slamet")
_FAMILY = ("Rahayu", "Santoso", "Wibowo", "Purnomo", "Handayani", "Setiawan", "Kusuma", "Nugroho", "Wulandari")
_STREETS = ("Jl. Majapahit", "Jl. Gajah Mada", "Jl. Pahlawan", "Jl. Brawijaya", "Jl. Empu Nala", "Jl. Diponegoro")
_CITIES = ("Mojokerto", "Surabaya", "Malang", "Kediri", "Madiun", "Blitar", "Pasuruan", "Probolinggo")
_COMPANY_KINDS = ("CV", "PT", "UD")


class NameSource(Protocol):
    """Where made-up names come from (``PlainNames``, or Faker ``id_ID`` in the sandbox)."""

    def given_name(self, female: bool) -> str:
        """A first name."""

    def family_name(self, female: bool) -> str:
        """A last name."""

    def street_address(self) -> str:
        """A street and house number."""

    def city(self) -> str:
        """A city name."""

    def company(self) -> str:
        """A business name."""


class PlainNames:
    """Names from short fixed lists, drawn from ``rng``: no extra dependency, reproducible under a seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def given_name(self, female: bool) -> str:
        """A first name of the given sex."""
        return self.rng.choice(_GIVEN_FEMALE if female else _GIVEN_MALE)

    def family_name(self, female: bool) -> str:
        """A last name (the lists do not depend on sex)."""
        return self.rng.choice(_FAMILY)

    def street_address(self) -> str:
        """``Jl. ... No. N``."""
        return f"{self.rng.choice(_STREETS)} No. {self.rng.randint(1, 200)}"

    def city(self) -> str:
        """A city of Jawa Timur."""
        return self.rng.choice(_CITIES)

    def company(self) -> str:
        """``CV Santoso``, ``PT Kusuma Mojokerto``..."""
        return (
            f"{self.rng.choice(_COMPANY_KINDS)} {self.rng.choice(_FAMILY)} {self.rng.choice(('', self.city()))}".strip()
        )


@dataclass(frozen=True)
class District:
    """One kecamatan: its code ``35.76.01`` and name."""

    code: str
    name: str

    @property
    def nik_prefix(self) -> str:
        """The six digits ``PPKKCC`` that start a NIK registered here."""
        return self.code.replace(".", "")


@cache
def districts_of(region: str) -> tuple[District, ...]:
    """Districts of a regency/city (``35.76``) or of every regency of a province (``35``)."""
    prefix = region + "."
    with DISTRICTS_FILE.open(encoding="utf-8", newline="") as f:
        found = tuple(District(r["code"], r["name"]) for r in csv.DictReader(f) if r["code"].startswith(prefix))
    if not found:
        raise ValueError(f"no districts for region {region!r} in {DISTRICTS_FILE.name}")
    return found


def make_nik(district: District, birth: date, female: bool, serial: int) -> str:
    """A NIK: district ``PPKKCC``, birth ``DDMMYY`` (+40 on the day for women), serial ``SSSS``."""
    if not 1 <= serial <= 9999:
        raise ValueError("the serial is 0001..9999")
    day = birth.day + (40 if female else 0)
    return f"{district.nik_prefix}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@dataclass(frozen=True)
class NikParts:
    """What a NIK says: district digits, birth day/month/2-digit year, sex, serial."""

    district: str
    day: int
    month: int
    year2: int
    female: bool
    serial: int


def parse_nik(nik: str) -> NikParts:
    """Split a NIK into its parts; ValueError when it does not have the structure."""
    if not re.fullmatch(r"[0-9]{16}", nik):
        raise ValueError("a NIK is 16 digits")
    day, month = int(nik[6:8]), int(nik[8:10])
    female = day > 40
    parts = NikParts(nik[:6], day - 40 if female else day, month, int(nik[10:12]), female, int(nik[12:]))
    if not (1 <= parts.day <= 31 and 1 <= parts.month <= 12 and parts.serial >= 1):
        raise ValueError("the NIK's birth date or serial is impossible")
    return parts


def phone_number(rng: random.Random) -> str:
    """An Indonesian mobile number, ``08xx`` and 11 to 13 digits in all."""
    rest = "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 9)))
    return f"0{rng.choice(PHONE_PREFIXES)}{rest}"


@dataclass(frozen=True)
class Person:
    """One synthetic person; ``sex`` is ``L`` (laki-laki) or ``P`` (perempuan), as forms spell it."""

    name: str
    sex: str
    birth_date: date
    district: District
    nik: str
    phone: str
    email: str
    address: str


class People:
    """Draws persons (and family cards) for one region, from one seeded RNG and a name source."""

    def __init__(self, rng: random.Random, names: NameSource, region: str, today: date) -> None:
        self.rng, self.names, self.today = rng, names, today
        try:
            self.districts = districts_of(region)
        except ValueError:  # a region outside the table (a test package): its people live in the default one
            self.districts = districts_of(DEFAULT_REGION)
        self.region_name = registry.regions.region_table().get(region)
        self.place = self.region_name.name.title() if self.region_name else "Jawa Timur"

    def _birth(self, role: str) -> date:
        low, high = (0, 5) if role.startswith("anak") else (45, 90) if role.startswith("almarhum") else (18, 70)
        days = self.rng.randint(low * 365, high * 365 + 364)
        return self.today - timedelta(days=days)

    def person(self, role: str, district: District | None = None) -> Person:
        """A new person; the role (``ibu``, ``suami``, ``anak``...) sets the sex or age where it says so."""
        female = role in FEMALE_ROLES or (role not in MALE_ROLES and self.rng.random() < 0.5)
        name = f"{self.names.given_name(female)} {self.names.family_name(female)}"
        birth = self._birth(role)
        district = district or self.rng.choice(self.districts)
        local = re.sub(r"[^a-z]+", ".", name.lower()).strip(".")[:40]
        return Person(
            name=name,
            sex="P" if female else "L",
            birth_date=birth,
            district=district,
            nik=make_nik(district, birth, female, self.rng.randint(1, 9999)),
            phone=phone_number(self.rng),
            email=f"{local}{self.rng.randint(1, 99)}@{self.rng.choice(MAIL_DOMAINS)}",
            address=self.address(district),
        )

    def address(self, district: District) -> str:
        """A street address in ``district`` with RT/RW, kecamatan and the regency or city."""
        street = self.names.street_address()
        rt, rw = self.rng.randint(1, 15), self.rng.randint(1, 10)
        regency = registry.regions.region_table().get(district.code[:5])
        place = regency.name.title() if regency else self.place
        return f"{street}, RT {rt:03d}/RW {rw:03d}, Kec. {district.name}, {place}"

    def family_card(self, district: District) -> str:
        """A KK number registered in ``district``: ``PPKKCC``, issue date ``DDMMYY``, serial."""
        issued = self.today - timedelta(days=self.rng.randint(30, 20 * 365))
        return f"{district.nik_prefix}{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}{self.rng.randint(1, 9999):04d}"
