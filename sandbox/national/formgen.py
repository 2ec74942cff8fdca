"""Fill a package's form (a JSON Schema) with realistic, valid citizen data.

Values follow the schema (types, enums, patterns, formats, lengths, bounds, required fields, nested
objects and arrays) and its ``x-personal-data`` hints. Fields about the same person agree: ``nik_ibu``,
``nama_ibu`` and ``tanggal_lahir_ibu`` describe one woman whose NIK encodes that birth date (+40 on the
day); an unsuffixed field (``nik``, ``no_hp``) is the applicant's. The caller validates the result.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from faker import Faker

from registry.regions import region_table
from sandbox.national.identity import District, People, Person, phone_number
from sandbox.national.regexgen import generate

# a form field name is <prefix><role>: nik_ibu, nama_pelapor, tanggal_lahir_anak
PREFIXES = ("tanggal_lahir", "tempat_lahir", "jenis_kelamin", "nama_lengkap", "no_hp", "email", "alamat", "nik", "nama")
APPLICANT_ALIASES = {"", "pemohon", "lengkap", "domisili", "tujuan"}
WORDS = [
    "layanan",
    "data",
    "warga",
    "kota",
    "desa",
    "usaha",
    "kegiatan",
    "sosial",
    "pendidikan",
    "kesehatan",
    "lingkungan",
    "masyarakat",
    "program",
]
JOBS = ("Petani", "Buruh Harian Lepas", "Wiraswasta", "Karyawan Swasta", "Pedagang", "Nelayan", "Guru", "Sopir")
SKILLS = (
    "Teknik Komputer dan Jaringan",
    "Akuntansi",
    "Tata Boga",
    "Perdagangan eceran makanan dan minuman",
    "Administrasi",
)
TOPICS = ("Pelayanan Publik", "UMKM", "Kesehatan Ibu dan Anak", "Pengelolaan Sampah", "Literasi Digital", "Stunting")


def role_of(name: str, scope: str = "") -> str:
    """The person a field is about: ``nik_ibu`` -> ``ibu``; ``nik``, ``nama_pemohon`` -> ``pemohon``."""
    for prefix in PREFIXES:
        if name == prefix or name.startswith(prefix + "_"):
            rest = name[len(prefix) + 1 :]
            return scope + ("pemohon" if rest in APPLICANT_ALIASES else rest)
    return scope + "pemohon"


class FormFiller:
    """Draws form data for one region from a seeded RNG and Faker (one instance per application)."""

    def __init__(self, rng: random.Random, fake: Faker, region: str, today: date) -> None:
        self.rng, self.fake, self.today = rng, fake, today
        self.people = People(rng, fake, region, today)
        self.home: District = rng.choice(self.people.districts)  # the family's kecamatan
        self.persons: dict[str, Person] = {}
        self.primary = "pemohon"  # the role unsuffixed fields (nik, no_hp, email) belong to
        self.dates: dict[str, date] = {}

    def person(self, role: str) -> Person:
        """The person playing ``role`` in this application (created on first use)."""
        role = self.primary if role == "pemohon" else role
        if role not in self.persons:
            self.persons[role] = self.people.person(role.split(".")[-1], self.home)
        return self.persons[role]

    def fill(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A value for a form of ``type: object``."""
        niks = [
            n
            for n, f in schema.get("properties", {}).items()
            if isinstance(f, dict) and f.get("x-personal-data") == "nik"
        ]
        self.primary = role_of(niks[0]) if niks else "pemohon"
        value: dict[str, Any] = self._object(schema, "")
        return value

    def _object(self, schema: dict[str, Any], scope: str) -> dict[str, Any]:
        required = set(schema.get("required", []))
        out: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if name in required or self.rng.random() < 0.7:
                out[name] = self._value(name, sub if isinstance(sub, dict) else {}, scope)
        return out

    def _value(self, name: str, schema: dict[str, Any], scope: str, hint: str | None = None) -> Any:
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            options = list(schema["enum"])
            if name.startswith("jenis_kelamin") and set(options) == {"L", "P"}:
                return self.person(role_of(name, scope)).sex
            return self.rng.choice(options)
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            return self._object(schema, scope)
        if kind == "array":
            return self._array(name, schema, scope)
        if kind in ("integer", "number"):
            return self._number(name, schema, kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(name, schema, scope, hint or schema.get("x-personal-data"))

    def _array(self, name: str, schema: dict[str, Any], scope: str) -> list[Any]:
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        assert isinstance(items, dict)
        low = int(schema.get("minItems", 1))
        count = self.rng.randint(low, max(low, min(int(schema.get("maxItems", low + 3)), low + 3)))
        if "enum" in items and schema.get("uniqueItems"):
            return self.rng.sample(list(items["enum"]), min(count, len(items["enum"])))
        out: list[Any] = []
        for i in range(count * 5):
            if len(out) == count:
                break
            member = f"{scope}{name}.{i}."  # each item of a list of people is another person
            value = self._value(name, items, member, schema.get("x-personal-data"))
            if not (schema.get("uniqueItems") and value in out):
                out.append(value)
        return out

    def _number(self, name: str, schema: dict[str, Any], integer: bool) -> float | int:
        """Skewed towards the low end (cubed draw): most permits are small, few are huge."""
        low = float(schema.get("minimum", schema.get("exclusiveMinimum", 0)))
        high = float(schema.get("maximum", schema.get("exclusiveMaximum", low + 100)))
        if name.startswith("tahun"):
            high = min(high, self.today.year)
        if integer:
            lo = int(low) + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
            hi = int(high) - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
            return lo + round((max(lo, hi) - lo) * self.rng.random() ** 3)
        value = round(low + (high - low) * self.rng.random() ** 3, 2)
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = round(schema["exclusiveMinimum"] + 0.01, 2)
        return value

    def _date(self, name: str, hint: str | None, scope: str) -> str:
        if hint == "birth_date" or "lahir" in name:
            return self.person(role_of(name, scope)).birth_date.isoformat()
        if "selesai" in name or "akhir" in name:
            start = self.dates.get("mulai", self.today + timedelta(days=14))
            day = start + timedelta(days=self.rng.randint(30, 180))
        elif "mulai" in name:
            day = self.dates.setdefault("mulai", self.today + timedelta(days=self.rng.randint(7, 30)))
        else:  # kematian, perkawinan and other past events
            day = self.today - timedelta(days=self.rng.randint(1, 90))
        return day.isoformat()

    def _string(self, name: str, schema: dict[str, Any], scope: str, hint: str | None) -> str:
        role = role_of(name, scope)
        if hint == "nik":
            value = self.person(role).nik
        elif hint == "kk":
            value = self.people.family_card(self.home)
        elif hint == "phone":
            value = self.person(role).phone
        elif hint == "name":
            value = self.person(role).name
        elif hint == "address":
            value = self.person(role).address
        elif hint == "email":
            value = self.person(role).email
        elif schema.get("format") == "date" or hint == "birth_date":
            value = self._date(name, hint, scope)
        elif schema.get("format") == "email":
            value = f"info@{self.fake.last_name().lower()}.{self.rng.choice(('co.id', 'or.id', 'sch.id', 'com'))}"
        elif name in ("rt", "rw"):
            value = f"{self.rng.randint(1, 15):03d}"
        elif "kabkota" in name and "pattern" in schema:
            codes = [
                r.code for r in region_table().all() if not r.is_province and re.fullmatch(schema["pattern"], r.code)
            ]
            value = self.rng.choice(codes) if codes else generate(schema["pattern"], self.rng)
        elif schema.get("format") == "date-time":
            value = f"{self.today.isoformat()}T0{self.rng.randint(0, 9)}:00:00+07:00"
        elif "pattern" in schema:
            value = generate(schema["pattern"], self.rng)
        elif name.startswith("no_hp"):
            value = phone_number(self.rng)
        else:
            value = self._text(name)
        return _fit(value, schema, self.rng)

    def _text(self, name: str) -> str:
        rng, fake, last = self.rng, self.fake, self.fake.last_name()
        keyed: list[tuple[tuple[str, ...], Callable[[], str]]] = [
            (("alamat",), lambda: self.people.address(self.home)),
            (("kecamatan", "kelurahan"), lambda: rng.choice(self.people.districts).name),
            (
                ("judul",),
                lambda: f"{rng.choice(('Analisis', 'Kajian', 'Evaluasi'))} {rng.choice(TOPICS)} di {self.people.place}",
            ),
            (("institusi",), lambda: f"Universitas {fake.city()}"),
            (("instansi",), lambda: f"Dinas {rng.choice(('Kesehatan', 'Pendidikan', 'Sosial'))} {self.people.place}"),
            (("yayasan",), lambda: f"Yayasan Pendidikan {last}"),
            (("satuan",), lambda: f"{rng.choice(('TK', 'KB', 'PAUD'))} {last}"),
            (("sekolah",), lambda: f"{rng.choice(('SD Negeri', 'SMA Swasta', 'SMK'))} {last}"),
            (("fasilitas", "fasyankes"), lambda: f"Klinik Pratama {last}"),
            (("usaha", "perusahaan"), lambda: fake.company()),
            (("bangunan",), lambda: f"{rng.choice(('Rumah Tinggal', 'Ruko', 'Gudang'))} {last}"),
            (("kapal",), lambda: f"KM {last} {rng.randint(1, 20)}"),
            (("naskah",), lambda: f"Promo {fake.company()}, diskon {rng.randint(1, 9)}0%"),
            (("uraian", "keterampilan", "jabatan", "program", "jurusan"), lambda: rng.choice(SKILLS)),
            (("tempat", "kabkota", "pelabuhan"), lambda: fake.city()),
            (("pekerjaan",), lambda: rng.choice(JOBS)),
            (("jadwal",), lambda: f"Senin-Jumat {rng.randint(7, 16):02d}.00-{rng.randint(17, 21):02d}.00"),
            (
                ("nomor", "no_", "kode", "tanda"),
                lambda: f"{rng.randint(100, 999)}/{rng.randint(1, 999):03d}/{self.today.year}",
            ),
            (("nama",), lambda: self.person(role_of(name)).name),
        ]
        for keys, make in keyed:
            if any(k in name for k in keys):
                return make()
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).capitalize()


def _fit(value: str, schema: dict[str, Any], rng: random.Random) -> str:
    """Pad or cut free text to ``minLength``/``maxLength`` (patterned values are left to the validator)."""
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    while len(value) < low:
        value += " " + rng.choice(WORDS)
    if high is not None and len(value) > int(high):
        value = value[: int(high)].rstrip() or value[: int(high)]
    return value
