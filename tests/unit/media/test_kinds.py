"""What a file is, read from its bytes, and what each kind of media may be."""

from __future__ import annotations

import ipaddress

import pytest

from herald.addresses import forbidden
from herald.media.kinds import (
    MB,
    MediaKind,
    MediaRefused,
    album_refusal,
    check_photo,
    check_size,
    kind_for,
)
from herald.media.sniff import sniff
from tests.support.media_files import gif, jpeg_header, mp4, pdf, png


@pytest.mark.parametrize(
    ("data", "mime", "size"),
    [
        (png(640, 480), "image/png", (640, 480)),
        (jpeg_header(1920, 1080), "image/jpeg", (1920, 1080)),
        (gif(3, 2), "image/gif", (3, 2)),
        (mp4(), "video/mp4", (None, None)),
        (pdf(), "application/pdf", (None, None)),
        (b"PK\x03\x04rest", "application/zip", (None, None)),
        (b"RIFF\x00\x00\x00\x00WEBPVP8X" + bytes(8) + b"\x7f\x02\x00\xdf\x01\x00", "image/webp",
         (640, 480)),
    ],
)  # fmt: skip
def test_a_file_is_what_its_bytes_say(data: bytes, mime: str, size: tuple[int, int]) -> None:
    found = sniff(data)
    assert found is not None
    assert (found.mime, (found.width, found.height)) == (mime, size)


@pytest.mark.parametrize(
    "data", [b"", b"<html><script>alert(1)</script>", b"#!/bin/sh\nrm -rf /", b"<svg/>"]
)
def test_anything_else_is_unknown(data: bytes) -> None:
    assert sniff(data) is None


def test_the_kind_follows_the_content_unless_asked() -> None:
    assert kind_for("image/png", None) is MediaKind.PHOTO
    assert kind_for("image/gif", None) is MediaKind.ANIMATION
    assert kind_for("video/mp4", None) is MediaKind.VIDEO
    assert kind_for("application/pdf", None) is MediaKind.DOCUMENT
    assert kind_for("video/mp4", MediaKind.ANIMATION) is MediaKind.ANIMATION
    assert kind_for("image/png", MediaKind.DOCUMENT) is MediaKind.DOCUMENT
    with pytest.raises(MediaRefused) as refused:
        kind_for("application/pdf", MediaKind.PHOTO)
    assert refused.value.field == "kind"
    assert "a photo must be image/jpeg, image/png, image/webp" in refused.value.msg


def test_sizes_are_the_bot_apis_limits() -> None:
    check_size(MediaKind.PHOTO, 10 * MB, "file")
    check_size(MediaKind.DOCUMENT, 50 * MB, "file")
    for kind, size in ((MediaKind.PHOTO, 10 * MB + 1), (MediaKind.VIDEO, 50 * MB + 1)):
        with pytest.raises(MediaRefused) as refused:
            check_size(kind, size, "file")
        assert refused.value.too_large


def test_a_photo_telegram_would_refuse_is_refused() -> None:
    check_photo(5000, 5000, "file")
    check_photo(None, None, "file")
    with pytest.raises(MediaRefused, match="add up to 10,000"):
        check_photo(8000, 2001, "file")
    with pytest.raises(MediaRefused, match="ratio of 20"):
        check_photo(2100, 100, "file")


def test_albums_mix_what_telegram_mixes() -> None:
    photo, video, doc, anim = (MediaKind.PHOTO, MediaKind.VIDEO, MediaKind.DOCUMENT,
                               MediaKind.ANIMATION)  # fmt: skip
    assert album_refusal([photo, video, photo]) is None
    assert album_refusal([doc, doc]) is None
    assert album_refusal([photo, doc]) == "an album holds photos and videos, or documents only"
    assert album_refusal([photo, anim]) == "an animation cannot be in an album: post it alone"
    assert album_refusal([photo] * 11) == "at most 10 media in one post (an album)"


@pytest.mark.parametrize(
    ("address", "is_public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00:ec2::254", False),  # a cloud's IPv6 metadata
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
    ],
)
def test_only_public_addresses_are_fetched(address: str, is_public: bool) -> None:
    assert (forbidden(str(ipaddress.ip_address(address))) is None) is is_public
