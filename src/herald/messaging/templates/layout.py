"""The on-disk format: which file is which part, reading trees, locales and their fallback.

The format itself is described in the package docstring (``herald.messaging.templates``).
Unknown names inside a template directory are errors rather than ignored, because a
misspelt override that silently does nothing is worse than a service that says why it
refused to start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files as package_files
from importlib.resources.abc import Traversable
from typing import Literal

from herald.channel import Channel
from herald.messaging.templates.errors import InvalidTemplate

Kind = Literal["html", "text", "markdown", "json"]
"""How a file is compiled: HTML-autoescaped, plain, MarkdownV2-escaped, or JSON whose
string values are plain-text templates."""


@dataclass(frozen=True, slots=True)
class Part:
    channel: Channel
    key: str
    filename: str
    kind: Kind
    required: bool


PARTS: tuple[Part, ...] = (
    Part(Channel.EMAIL, "subject", "email.subject.j2", "text", required=True),
    Part(Channel.EMAIL, "text", "email.txt.j2", "text", required=True),
    Part(Channel.EMAIL, "html", "email.html.j2", "html", required=True),
    Part(Channel.TELEGRAM, "text", "telegram.md.j2", "markdown", required=True),
    Part(Channel.TELEGRAM, "buttons", "telegram.buttons.json", "json", required=False),
    Part(Channel.PUSH, "title", "push.title.j2", "text", required=True),
    Part(Channel.PUSH, "body", "push.body.j2", "text", required=True),
    Part(Channel.PUSH, "extras", "push.json", "json", required=False),
)
PARTS_BY_FILENAME = {part.filename: part for part in PARTS}
META_FILENAME = "template.json"
PARTIALS_PREFIX = "_"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
_LOCALE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*\Z")


def builtin_root() -> Traversable:
    """The templates shipped in the package (package data, so also in a wheel or zip)."""
    return package_files("herald.messaging.templates").joinpath("builtin")


def canonical_locale(locale: str) -> str:
    """``pt_BR``, ``pt-br`` and ``PT-BR`` are one locale: ``pt-br``."""
    return locale.strip().replace("_", "-").lower()


def is_locale(name: str) -> bool:
    return _LOCALE.match(name) is not None


def locale_chain(locale: str | None, default_locale: str) -> tuple[str | None, ...]:
    """Where to look, in order: ``de-at``, ``de``, the default locale, then the root files."""
    chain: list[str | None] = []
    for wanted in (locale, default_locale):
        if not wanted:
            continue
        subtags = canonical_locale(wanted).split("-")
        for end in range(len(subtags), 0, -1):
            candidate = "-".join(subtags[:end])
            if candidate not in chain:
                chain.append(candidate)
    chain.append(None)
    return tuple(chain)


def read_tree(root: Traversable) -> dict[str, str]:
    """Every file under ``root`` as ``{"relative/posix/path": text}``; hidden ones skipped."""
    found: dict[str, str] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name.startswith(".") or child.name == "__pycache__":
                continue
            path = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, path + "/")
            elif child.is_file():
                try:
                    found[path] = child.read_text(encoding="utf-8")
                except UnicodeDecodeError as exc:
                    raise InvalidTemplate(path, f"not UTF-8 text ({exc})") from exc

    walk(root, "")
    return found


@dataclass(slots=True)
class TemplateFiles:
    """One template's files: ``paths[(locale or None, filename)] = "name/[locale/]file"``."""

    name: str
    paths: dict[tuple[str | None, str], str] = field(default_factory=dict)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted({loc for loc, _ in self.paths if loc is not None}))

    def find(self, filename: str, chain: tuple[str | None, ...]) -> str | None:
        """The first file called ``filename`` along the locale chain."""
        for locale in chain:
            path = self.paths.get((locale, filename))
            if path is not None:
                return path
        return None


def index_templates(tree: Mapping[str, str]) -> dict[str, TemplateFiles]:
    """Group a merged file tree into templates, refusing anything that is not the format."""
    templates: dict[str, TemplateFiles] = {}
    for path in sorted(tree):
        parts = path.split("/")
        if len(parts) == 1 or parts[0].startswith(PARTIALS_PREFIX):
            continue  # a README beside the templates, or shared partials
        name = parts[0]
        if not _NAME.match(name):
            raise InvalidTemplate(name, "a template name is letters, digits, '_' and '-'")
        entry = templates.setdefault(name, TemplateFiles(name))
        if len(parts) == 2:
            locale, filename = None, parts[1]
            allowed = filename in PARTS_BY_FILENAME or filename == META_FILENAME
        elif len(parts) == 3 and is_locale(parts[1]):
            locale, filename = canonical_locale(parts[1]), parts[2]
            allowed = filename in PARTS_BY_FILENAME
        else:
            raise InvalidTemplate(name, f"unexpected path {path!r} (locale directory expected)")
        if not allowed:
            known = ", ".join([*PARTS_BY_FILENAME, META_FILENAME])
            raise InvalidTemplate(name, f"unknown file {path!r} (known: {known})")
        if (locale, filename) in entry.paths:
            raise InvalidTemplate(name, f"{path!r} and {entry.paths[locale, filename]!r} clash")
        entry.paths[locale, filename] = path
    for entry in templates.values():
        if not any(filename in PARTS_BY_FILENAME for _, filename in entry.paths):
            raise InvalidTemplate(entry.name, "no channel files")
    return templates
