"""Fill a package's form (a JSON Schema) with realistic, valid citizen data: the one form generator of the
project (the sandbox's citizens and officers, ``mpphub check --write``).

Values follow the schema (types, enums, patterns, formats, lengths, bounds, required fields, nested
objects and arrays) and its ``x-personal-data`` hints. Fields about the same person agree: ``nik_ibu``,
``nama_ibu`` and ``tanggal_lahir_ibu`` describe one woman whose NIK encodes that birth date (+40 on the
day); an unsuffixed field (``nik``, ``no_hp``) is the applicant's. ``valid_form`` checks the result with
jsonschema-rs (formats included) and draws again when it fails; ``sample_form`` is the quick, unchecked
form for a bare form schema (the simulated local systems' walk-ins).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import jsonschema_rs

from registry.regions import region_table
from registry.synthetic.identity import DEFAULT_REGION, District, NameSource, People, Person, PlainNames, phone_number
from registry.synthetic.patterns import sample

ATTEMPTS = 20  # draws of valid_form before it gives up
# sample_form's dates are relative to a fixed day, so that a seeded simulated system is the same every day
REFERENCE_DAY = date(2025, 1, 1)

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


class FormGenerationError(RuntimeError):
    """No valid data could be generated for a form (the paths that failed are in the message)."""


class FormFiller:
    """Draws form data for one region from a seeded RNG and a name source (one instance per application).

    ``optional_share`` is the chance that an optional field is filled (1.0: all of them, 0.0: none).
    """

    def __init__(
        self,
        rng: random.Random,
        names: NameSource,
        region: str,
        today: date,
        optional_share: float = 0.7,
    ) -> None:
        self.rng, self.names, self.today, self.optional_share = rng, names, today, optional_share
        self.people = People(rng, names, region, today)
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
            if name in required or self.rng.random() < self.optional_share:
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
            domain = re.sub(r"[^a-z]+", "", self.names.family_name(False).lower()) or "contoh"
            value = f"info@{domain}.{self.rng.choice(('co.id', 'or.id', 'sch.id', 'com'))}"
        elif name in ("rt", "rw"):
            value = f"{self.rng.randint(1, 15):03d}"
        elif "kabkota" in name and "pattern" in schema:
            codes = [
                r.code for r in region_table().all() if not r.is_province and re.fullmatch(schema["pattern"], r.code)
            ]
            value = self.rng.choice(codes) if codes else sample(schema["pattern"], self.rng)
        elif schema.get("format") == "date-time":
            value = f"{self.today.isoformat()}T0{self.rng.randint(0, 9)}:00:00+07:00"
        elif "pattern" in schema:
            value = sample(schema["pattern"], self.rng)
        elif name.startswith("no_hp"):
            value = phone_number(self.rng)
        else:
            value = self._text(name)
        if "pattern" in schema and not _matches(schema["pattern"], value):
            # a hinted value (a NIK of the wrong province, a name with a dot) the pattern refuses: the
            # pattern has the last word, as the hub's validation will
            value = sample(schema["pattern"], self.rng)
        return _fit(value, schema, self.rng)

    def _text(self, name: str) -> str:
        rng, names, last = self.rng, self.names, self.names.family_name(False)
        keyed: list[tuple[tuple[str, ...], Callable[[], str]]] = [
            (("alamat",), lambda: self.people.address(self.home)),
            (("kecamatan", "kelurahan"), lambda: rng.choice(self.people.districts).name),
            (
                ("judul",),
                lambda: f"{rng.choice(('Analisis', 'Kajian', 'Evaluasi'))} {rng.choice(TOPICS)} di {self.people.place}",
            ),
            (("institusi",), lambda: f"Universitas {names.city()}"),
            (("instansi",), lambda: f"Dinas {rng.choice(('Kesehatan', 'Pendidikan', 'Sosial'))} {self.people.place}"),
            (("yayasan",), lambda: f"Yayasan Pendidikan {last}"),
            (("satuan",), lambda: f"{rng.choice(('TK', 'KB', 'PAUD'))} {last}"),
            (("sekolah",), lambda: f"{rng.choice(('SD Negeri', 'SMA Swasta', 'SMK'))} {last}"),
            (("fasilitas", "fasyankes"), lambda: f"Klinik Pratama {last}"),
            (("usaha", "perusahaan"), lambda: names.company()),
            (("bangunan",), lambda: f"{rng.choice(('Rumah Tinggal', 'Ruko', 'Gudang'))} {last}"),
            (("kapal",), lambda: f"KM {last} {rng.randint(1, 20)}"),
            (("naskah",), lambda: f"Promo {names.company()}, diskon {rng.randint(1, 9)}0%"),
            (("uraian", "keterampilan", "jabatan", "program", "jurusan"), lambda: rng.choice(SKILLS)),
            (("tempat", "kabkota", "pelabuhan"), lambda: names.city()),
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


def _matches(pattern: str, value: str) -> bool:
    """JSON Schema's ``pattern`` test: a search, not a full match (package patterns are anchored)."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True  # not a Python regex: leave it to the validator (valid_form checks with jsonschema-rs)


def _fit(value: str, schema: dict[str, Any], rng: random.Random) -> str:
    """Pad or cut free text to ``minLength``/``maxLength`` (patterned values are left to the validator)."""
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    while len(value) < low:
        value += " " + rng.choice(WORDS)
    if high is not None and len(value) > int(high):
        value = value[: int(high)].rstrip() or value[: int(high)]
    return value


@lru_cache(maxsize=256)
def _validator(form_json: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(json.loads(form_json), validate_formats=True)


def valid_form(
    package: dict[str, Any], rng: random.Random, today: date, names: NameSource | None = None
) -> dict[str, Any]:
    """Made-up form data that is valid for ``package``'s form (jsonschema-rs, formats included).

    ``names`` defaults to ``PlainNames`` over ``rng``; FormGenerationError (with the failing paths, never
    a value) when no valid data came out of ``ATTEMPTS`` draws.
    """
    form_schema = package["form"]
    validator = _validator(json.dumps(form_schema, sort_keys=True))
    names = names or PlainNames(rng)
    paths: list[str] = []
    for _ in range(ATTEMPTS):
        data = FormFiller(rng, names, package["region"], today).fill(form_schema)
        errors = list(validator.iter_errors(data))
        if not errors:
            return data
        paths = sorted({"$." + ".".join(map(str, e.instance_path)) for e in errors})
    raise FormGenerationError(
        f"{package['id']}: no valid form data after {ATTEMPTS} attempts; failing at {', '.join(paths)}"
    )


def sample_form(
    form: dict[str, Any],
    rng: random.Random,
    include_optional: bool = True,
    region: str | None = None,
    today: date = REFERENCE_DAY,
) -> dict[str, Any]:
    """Form data for the form schema ``form``: every required field, and the optional ones unless told
    otherwise. Unchecked (one draw; ``valid_form`` checks and retries): what a simulated counter officer
    types in for a walk-in. Names from ``PlainNames``, people registered in ``region`` (default: the
    sample registry's first)."""
    share = 1.0 if include_optional else 0.0
    return FormFiller(rng, PlainNames(rng), region or DEFAULT_REGION, today, share).fill(form)
