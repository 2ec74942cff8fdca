"""Form fields that hold a NIK or a phone number carry ``x-personal-data``, so the hub masks them in logs
and the dashboard and keeps only a keyed hash where it needs to match them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from registry.rules.access import form_fields
from registry.rules.context import Finding, PackageContext

_NIK_NAME = re.compile(r"(^|_)(nik|ktp|no_ktp|nomor_ktp|nomor_induk_kependudukan)($|_)")
_PHONE_NAME = re.compile(r"(^|_)(telp|telepon|tlp|phone|hp|handphone|ponsel|whatsapp|wa)($|_)")
_SIXTEEN_DIGITS = re.compile(r"\[0-9\]\{16\}|\\d\{16\}")


def check_personal_data(ctx: PackageContext) -> Iterator[Finding]:
    """A field named or shaped like a NIK or phone number must be marked."""
    for path, name, field in form_fields(ctx.doc.get("form")):
        if "x-personal-data" in field:
            continue
        raw_pattern = field.get("pattern")
        pattern = raw_pattern if isinstance(raw_pattern, str) else ""
        if _NIK_NAME.search(name) or _SIXTEEN_DIGITS.search(pattern):
            kind = "nik"
        elif _PHONE_NAME.search(name):
            kind = "phone"
        else:
            continue
        yield Finding(
            path,
            f"field '{name}' looks like a {'NIK' if kind == 'nik' else 'phone number'}: mark it with "
            f'"x-personal-data": "{kind}" so it is masked in logs and hashed in the ledger',
        )
