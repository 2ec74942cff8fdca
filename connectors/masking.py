"""Masking of citizens' identifiers for display: enough to recognise an application, never the number.

A NIK keeps its first four digits (province and regency) and its last two; a phone number keeps its
first four characters (the operator prefix) and its last two. Anything too short to mask safely is
masked completely.
"""

from __future__ import annotations

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
