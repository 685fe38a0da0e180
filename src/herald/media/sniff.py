"""What a file is, read from its first bytes: the name and the client's word prove nothing.

A file passes as what its magic bytes say, or not at all: an operator's upload is
served back to the dashboard and sent to Telegram, so a script or a page named
``chart.png`` must never become one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sniffed:
    mime: str
    width: int | None = None  # images whose header says (PNG, JPEG, GIF, WebP)
    height: int | None = None


# (prefix, offset, mime), tried in order; MP4 and WebP are handled apart.
_MAGIC = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),  # also docx, xlsx, epub
    (b"\x1a\x45\xdf\xa3", 0, "video/webm"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
)
# ISO media brands (bytes 8..12 after "ftyp") that are not MP4 video.
_ISO_BRANDS = {b"qt  ": "video/quicktime", b"M4A ": "audio/mp4", b"M4B ": "audio/mp4"}


def sniff(data: bytes) -> Sniffed | None:
    """The file's type (and an image's size) from its content; None if unknown."""
    if data[4:8] == b"ftyp":
        return Sniffed(_ISO_BRANDS.get(data[8:12], "video/mp4"))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed("image/webp", *_webp_size(data))
    for prefix, offset, mime in _MAGIC:
        if data[offset : offset + len(prefix)] == prefix:
            return Sniffed(mime, *_image_size(mime, data))
    return None


def _image_size(mime: str, data: bytes) -> tuple[int | None, int | None]:
    try:
        if mime == "image/png" and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if mime == "image/gif" and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if mime == "image/jpeg":
            return _jpeg_size(data)
    except struct.error:
        pass
    return None, None


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    """The frame header's size, walking the segments (SOF0..SOF15 but DHT, JPG, DAC)."""
    i = 2
    while i + 9 < len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    try:
        if chunk == b"VP8 " and len(data) >= 30:
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L" and len(data) >= 25:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X" and len(data) >= 30:
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            return width, height
    except struct.error:
        pass
    return None, None
