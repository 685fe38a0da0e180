"""The kinds of media a post may carry, what each may be, and Telegram's limits on them.

A kind is how Telegram shows the file (``sendPhoto``, ``sendVideo``, ``sendAnimation``,
``sendDocument``); which files may be which kind is read from their content
(``sniff``), and the sizes are the Bot API's upload limits.
"""

from __future__ import annotations

from enum import StrEnum

MB = 1024 * 1024


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    DOCUMENT = "document"

    @property
    def method(self) -> str:
        """The Bot API method that sends one of these."""
        return "send" + self.value.capitalize()

    @property
    def max_bytes(self) -> int:
        """The Bot API's upload limit: photos 10 MB, other files 50 MB."""
        return 10 * MB if self is MediaKind.PHOTO else 50 * MB


MAX_UPLOAD = max(kind.max_bytes for kind in MediaKind)
# A photo Telegram takes: sides adding up to at most 10,000, a ratio of at most 20.
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20

# What each kind may be, by sniffed type; a document may be any type herald knows.
_PHOTO = ("image/jpeg", "image/png", "image/webp")
ALLOWED: dict[MediaKind, tuple[str, ...]] = {
    MediaKind.PHOTO: _PHOTO,
    MediaKind.VIDEO: ("video/mp4",),
    MediaKind.ANIMATION: ("image/gif", "video/mp4"),
}
# The kind a file is unless the request names another.
_DEFAULT = {"image/gif": MediaKind.ANIMATION, "video/mp4": MediaKind.VIDEO} | dict.fromkeys(
    _PHOTO, MediaKind.PHOTO
)

# Which kinds an album (sendMediaGroup) may mix, as Telegram allows: photos and videos
# together, documents only with documents; animations never.
ALBUM_GROUPS = (
    frozenset({MediaKind.PHOTO, MediaKind.VIDEO}),
    frozenset({MediaKind.DOCUMENT}),
)
MAX_ALBUM = 10


class MediaRefused(ValueError):
    """A file herald will not keep: ``field`` names the request's field; ``too_large``
    is Telegram's size limit (a 413), anything else a 422."""

    def __init__(self, field: str, msg: str, *, too_large: bool = False) -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg
        self.too_large = too_large


def kind_for(mime: str, asked: MediaKind | None) -> MediaKind:
    """The kind a file of this type is stored as: the one asked for if it may be that."""
    if asked is None:
        return _DEFAULT.get(mime, MediaKind.DOCUMENT)
    if asked is MediaKind.DOCUMENT or mime in ALLOWED[asked]:
        return asked
    allowed = ", ".join(ALLOWED[asked])
    raise MediaRefused("kind", f"a {asked.value} must be {allowed}; this file is {mime}")


def check_size(kind: MediaKind, size: int, field: str) -> None:
    if size > kind.max_bytes:
        raise MediaRefused(
            field,
            f"a {kind.value} may be at most {kind.max_bytes // MB} MB (the Bot API's limit); "
            f"this one is {size / MB:.1f} MB",
            too_large=True,
        )


def check_photo(width: int | None, height: int | None, field: str) -> None:
    """Telegram refuses a photo whose sides add up to more than 10,000 or whose ratio
    is over 20 (when the header says its size)."""
    if width is None or height is None:
        return
    if width < 1 or height < 1:
        raise MediaRefused(field, "the image has no size")
    if width + height > MAX_PHOTO_SIDES:
        raise MediaRefused(
            field,
            f"a photo's width and height may add up to {MAX_PHOTO_SIDES:,}; this one is "
            f"{width}x{height} (send it as a document)",
        )
    if max(width, height) / min(width, height) > MAX_PHOTO_RATIO:
        raise MediaRefused(
            field, f"a photo's sides may differ by a ratio of {MAX_PHOTO_RATIO} at most"
        )


def album_refusal(kinds: list[MediaKind]) -> str | None:
    """Why Telegram would not take these kinds as one album, or None if it would."""
    if len(kinds) > MAX_ALBUM:
        return f"at most {MAX_ALBUM} media in one post (an album)"
    if MediaKind.ANIMATION in kinds:
        return "an animation cannot be in an album: post it alone"
    if not any(set(kinds) <= group for group in ALBUM_GROUPS):
        return "an album holds photos and videos, or documents only"
    return None
