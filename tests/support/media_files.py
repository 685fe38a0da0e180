"""Small real files of each type herald sniffs, made in memory (no image library)."""

from __future__ import annotations

import struct
import zlib


def png(width: int, height: int, salt: int = 0) -> bytes:
    """A valid PNG of this size (one grey row repeated); ``salt`` changes its bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = (b"\x00" + bytes([salt % 256]) * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def gif(width: int = 2, height: int = 2) -> bytes:
    """A one-frame GIF89a of this size."""
    return (
        b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00"
        + b"\x00\x00\x00\xff\xff\xff"
        + b",\x00\x00\x00\x00" + struct.pack("<HH", width, height) + b"\x00"
        + b"\x02\x02\x44\x01\x00;"
    )  # fmt: skip


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG: SOI, an APP0 segment, then SOF0 with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def mp4(salt: int = 0) -> bytes:
    """An ISO base media file (ftyp isom) as a video's first box, and some payload."""
    ftyp = struct.pack(">I", 20) + b"ftypisom" + b"\x00\x00\x02\x00" + b"mp41"
    return ftyp + struct.pack(">I", 16) + b"mdat" + bytes([salt % 256]) * 8


def pdf(salt: int = 0) -> bytes:
    return b"%PDF-1.4\n%" + bytes([salt % 256]) * 4 + b"\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
