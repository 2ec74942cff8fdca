"""Masking of citizens' identifiers for display: enough to recognise an application, never the number.

A NIK keeps its first four digits (province and regency) and its last two; a phone number keeps its
first four characters (the operator prefix) and its last two. Anything too short to mask safely is
masked completely.
"""

from __future__ import annotations

import re

_KEEP_HEAD, _KEEP_TAIL = 4, 2
_MIN_LENGTH = 10  # shorter values would reveal too large a share of the number


def mask_identifier(value: str) -> str:
    """``3576012345678901`` -> ``3576**********01``; ``081234567889`` -> ``0812******89``."""
    text = "".join(value.split())
    if len(text) < _MIN_LENGTH:
        return "*" * len(text)
    return text[:_KEEP_HEAD] + "*" * (len(text) - _KEEP_HEAD - _KEEP_TAIL) + text[-_KEEP_TAIL:]


def mask_nik(value: str) -> str:
    """A NIK (16 digits) masked for display."""
    return mask_identifier(value)


def mask_phone(value: str) -> str:
    """A phone number masked for display."""
    return mask_identifier(value)


_NIK_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9+])(?:\+62|62|0)8[0-9]{7,12}(?![0-9])")


def scrub_text(text: str) -> str:
    """Mask anything in free text (an error message from a remote system) that looks like a NIK or a
    phone number: the last line of defence before text reaches a log, the API or the dashboard."""
    text = _NIK_IN_TEXT.sub(lambda m: mask_nik(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
