"""Synthetic attachment files (PDF, JPEG, PNG) with the right signatures, drawn from a seeded RNG."""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass
from typing import Any

MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True)
class GeneratedFile:
    """One attachment: which requirement it meets, its name, media type and bytes."""

    requirement_id: str
    filename: str
    media_type: str
    content: bytes


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def file_bytes(fmt: str, size: int, rng: random.Random) -> bytes:
    """About ``size`` bytes that start and end like a real ``fmt`` file (the middle is noise)."""
    noise = rng.randbytes(max(0, size - 64))
    if fmt == "pdf":
        return (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length "
            + str(len(noise)).encode()
            + b" >>\nstream\n"
            + noise
            + b"\nendstream\nendobj\n%%EOF\n"
        )
    if fmt == "jpg":
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + noise + b"\xff\xd9"
    if fmt == "png":
        header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 640, 480, 8, 2, 0, 0, 0))
        return b"\x89PNG\r\n\x1a\n" + header + _png_chunk(b"IDAT", noise) + _png_chunk(b"IEND", b"")
    raise ValueError(f"unknown file format {fmt!r}")


def attachments_for(requirements: list[dict[str, Any]], rng: random.Random, max_kb: int = 48) -> list[GeneratedFile]:
    """A file for every required requirement (and for some optional ones), in an allowed format and size."""
    files = []
    for req in requirements:
        if not req.get("required") and rng.random() >= 0.3:
            continue
        fmt = rng.choice([str(f) for f in req.get("formats", ["pdf"])])
        limit = min(int(req.get("max_size_kb", max_kb)), max_kb) * 1024
        content = file_bytes(fmt, rng.randint(limit // 2, limit - 128), rng)
        files.append(GeneratedFile(str(req["id"]), f"{req['id']}.{fmt}", MEDIA_TYPES[fmt], content))
    return files
