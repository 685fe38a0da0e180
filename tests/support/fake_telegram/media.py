"""Files as the fake Bot API knows them: uploads, the file_ids it issued, URLs.

Every upload is recorded, so a test can count how often a file's bytes went over the
wire. The same bytes always get the same ``file_unique_id`` (Telegram's identity of a
file), each upload a new ``file_id``; a ``file_id`` the fake issued sends that file
again without an upload. Any http(s) URL is accepted without fetching it, except one on
``bad.invalid``, which answers as a URL Telegram could not get.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.support.fake_telegram.markdown_v2 import Body

KINDS = ("photo", "video", "animation", "document")
BAD_URL_HOST = "bad.invalid"
WRONG_FILE = "wrong file identifier/HTTP URL specified"
PHOTO_MAX_SIDE = 1280  # Telegram scales a photo's largest size down to this
THUMB_SIDE = 90
DEFAULT_SIZE = (1280, 720)  # what the fake assumes when it cannot read an image's size


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file field as it arrived."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Upload:
    """One time a file's bytes were uploaded."""

    method: str
    kind: str
    filename: str
    size: int
    sha256: str
    file_unique_id: str


class WrongFile(ValueError):
    """A file_id the fake never issued, or a URL Telegram could not fetch."""


@dataclass
class MediaStore:
    uploads: list[Upload] = field(default_factory=list)
    files: dict[str, Body] = field(default_factory=dict)  # file_id -> the media's shape
    kinds: dict[str, str] = field(default_factory=dict)  # file_id -> kind

    def __post_init__(self) -> None:
        self._seq = itertools.count(1)

    def uploads_of(self, data: bytes) -> int:
        """How many times these bytes were uploaded."""
        digest = hashlib.sha256(data).hexdigest()
        return sum(1 for u in self.uploads if u.sha256 == digest)

    def resolve(
        self, method: str, kind: str, value: Any, files: dict[str, UploadedFile], field_name: str
    ) -> Body | list[Body]:
        """The Message field (``photo``'s sizes, ``video``...) for a sent file, or WrongFile.
        ``value`` is a file_id, a URL, ``attach://name`` or absent (the file in ``field_name``)."""
        name = field_name
        if isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
        elif isinstance(value, str) and value:
            return self._by_reference(kind, value)
        upload = files.get(name)
        if upload is None:
            raise WrongFile(f"there is no {kind} in the request")
        return self._by_upload(method, kind, upload)

    def _by_reference(self, kind: str, value: str) -> Body | list[Body]:
        if value in self.files:
            shape = self.files[value]
            if kind == "photo":
                return self._photo_sizes(shape)
            return dict(shape)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WrongFile(WRONG_FILE)
        if parts.hostname == BAD_URL_HOST or parts.hostname.endswith("." + BAD_URL_HOST):
            raise WrongFile(WRONG_FILE)
        name = parts.path.rsplit("/", 1)[-1] or "file"
        unique = _unique_id(value.encode())
        return self._issue(kind, unique, name, _mime(kind, name), 0, DEFAULT_SIZE)

    def _by_upload(self, method: str, kind: str, upload: UploadedFile) -> Body | list[Body]:
        unique = _unique_id(upload.data)
        self.uploads.append(
            Upload(
                method,
                kind,
                upload.filename,
                len(upload.data),
                hashlib.sha256(upload.data).hexdigest(),
                unique,
            )
        )
        size = image_size(upload.data) or DEFAULT_SIZE
        mime = upload.content_type or _mime(kind, upload.filename)
        return self._issue(kind, unique, upload.filename, mime, len(upload.data), size)

    def _issue(
        self, kind: str, unique: str, name: str, mime: str, size: int, dims: tuple[int, int]
    ) -> Body | list[Body]:
        file_id = f"{kind[:2].upper()}{next(self._seq):06d}{unique}"
        width, height = dims
        shape: Body = {"file_id": file_id, "file_unique_id": unique, "file_size": size}
        if kind == "photo":
            scale = min(1.0, PHOTO_MAX_SIDE / max(width, height))
            shape.update(width=round(width * scale), height=round(height * scale))
        elif kind in ("video", "animation"):
            shape.update(width=width, height=height, duration=1, file_name=name, mime_type=mime)
        else:
            shape.update(file_name=name, mime_type=mime)
        self.files[file_id] = shape
        self.kinds[file_id] = kind
        return self._photo_sizes(shape) if kind == "photo" else dict(shape)

    def _photo_sizes(self, largest: Body) -> list[Body]:
        """A photo as Telegram answers it: a small thumbnail, then the largest size."""
        scale = THUMB_SIDE / max(largest["width"], largest["height"])
        thumb_unique = largest["file_unique_id"][:-1] + "s"
        thumb: Body = {
            "file_id": "AgThumb" + largest["file_id"],
            "file_unique_id": thumb_unique,
            "file_size": max(1, largest["file_size"] // 20),
            "width": max(1, round(largest["width"] * scale)),
            "height": max(1, round(largest["height"] * scale)),
        }
        self.files.setdefault(thumb["file_id"], thumb)
        self.kinds.setdefault(thumb["file_id"], "photo")
        return [thumb, dict(largest)]


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height read from a PNG, GIF or JPEG header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


def _unique_id(data: bytes) -> str:
    return "AQAD" + hashlib.sha256(data).hexdigest()[:12]


def _mime(kind: str, name: str) -> str:
    if kind == "video":
        return "video/mp4"
    if kind == "animation":
        return "image/gif" if name.lower().endswith(".gif") else "video/mp4"
    if kind == "photo":
        return "image/jpeg"
    return "application/octet-stream"
