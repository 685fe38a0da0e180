"""The media room: files a post carries (photos, videos, animations, documents).

``kinds`` says what each kind may be and Telegram's limits, ``sniff`` what a file is by
its content, ``library`` keeps files in the database, ``fetch`` gets one registered by
URL without reaching into the operator's network.
"""

from __future__ import annotations

from herald.media.kinds import MediaKind, MediaRefused
from herald.media.library import Media, MediaLibrary

__all__ = ["Media", "MediaKind", "MediaLibrary", "MediaRefused"]
