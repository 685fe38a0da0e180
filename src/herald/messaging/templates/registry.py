"""``TemplateRegistry``: the built-in templates, overlaid by an operator's directory.

Everything is read and compiled when the registry is built, so a broken template stops
the service at start-up instead of failing the first stop-loss alert that needs it. The
registry is immutable afterwards; to pick up edited templates, build a new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from herald.channel import Channel
from herald.messaging.templates.compose import (
    Parts,
    check_buttons,
    check_meta,
    check_push_extras,
    compose_email,
    compose_push,
    compose_telegram,
)
from herald.messaging.templates.engine import (
    CompiledFile,
    Engine,
    JsonCheck,
    Variables,
    kind_of_partial,
)
from herald.messaging.templates.errors import (
    ChannelNotSupported,
    InvalidTemplate,
    MissingVariables,
    RenderFailed,
    TemplateError,
    TemplateNotFound,
)
from herald.messaging.templates.layout import (
    META_FILENAME,
    PARTIALS_PREFIX,
    PARTS,
    PARTS_BY_FILENAME,
    TemplateFiles,
    builtin_root,
    canonical_locale,
    index_templates,
    is_locale,
    locale_chain,
    read_tree,
)
from herald.messaging.templates.models import (
    Rendered,
    RenderedEmail,
    RenderedPush,
    RenderedTelegram,
    TemplateAudience,
    TemplateInfo,
)

_CHECKS: dict[str, JsonCheck] = {
    "telegram.buttons.json": check_buttons,
    "push.json": check_push_extras,
}


@dataclass(frozen=True, slots=True)
class _Meta:
    description: str = ""
    optional: frozenset[str] = frozenset()
    example: dict[str, Any] = field(default_factory=dict)
    audience: TemplateAudience = field(default_factory=TemplateAudience)


class TemplateRegistry:
    """Named templates, rendered per channel and locale with every variable escaped.

    ``directory`` (``HERALD_TEMPLATES_DIR``) overlays the built-ins file by file: a file
    at the same relative path replaces the built-in one, and new names add templates.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        default_locale: str = "en",
        builtin: bool = True,
    ) -> None:
        if not is_locale(canonical_locale(default_locale)):
            raise ValueError(f"not a locale: {default_locale!r}")
        self.default_locale = canonical_locale(default_locale)
        tree = read_tree(builtin_root()) if builtin else {}
        if directory is not None:
            if not directory.is_dir():
                raise TemplateError(f"templates directory {directory} is not a directory")
            tree.update(read_tree(directory))
        self._templates = index_templates(tree)
        self._engine = Engine(tree)
        self._compiled: dict[str, CompiledFile] = {}
        self._meta: dict[str, _Meta] = {}
        for name, entry in self._templates.items():
            for (_, filename), path in entry.paths.items():
                if filename == META_FILENAME:
                    self._meta[name] = _load_meta(name, path, tree[path])
                    continue
                kind = PARTS_BY_FILENAME[filename].kind
                self._compiled[path] = self._engine.compile(name, path, kind, _CHECKS.get(filename))
        for path in tree:
            if path.startswith(PARTIALS_PREFIX) and path.endswith(".j2"):
                self._engine.compile(path, path, kind_of_partial(path))
        for name, entry in self._templates.items():
            for locale in (None, *entry.locales):
                for channel in Channel:
                    self._resolve_or_none(name, channel, locale)  # incomplete variants raise

    def names(self) -> list[str]:
        return sorted(self._templates)

    def __contains__(self, name: object) -> bool:
        return name in self._templates

    def get(self, name: str) -> TemplateInfo:
        entry = self._entry(name)
        meta = self._meta.get(name, _Meta())
        variables = self._variables(name, self._resolve_all(name, None).values())
        return TemplateInfo(
            name=name,
            channels=self.channels(name),
            locales=entry.locales,
            required_variables=tuple(sorted(variables.required)),
            optional_variables=tuple(sorted(variables.optional)),
            description=meta.description,
            example=dict(meta.example),
            audience=meta.audience,
        )

    def audience(self, name: str) -> TemplateAudience:
        """The template's category and whether its messages are required or checked."""
        self._entry(name)
        return self._meta.get(name, _Meta()).audience

    def channels(self, name: str, locale: str | None = None) -> frozenset[Channel]:
        """The channels ``name`` can be rendered for at ``locale`` (after fallback)."""
        self._entry(name)
        return frozenset(ch for ch in Channel if self._resolve_or_none(name, ch, locale))

    def required_variables(
        self, name: str, channel: Channel | str | None = None, locale: str | None = None
    ) -> list[str]:
        """Variables a render must be given: all a template's files read, minus the
        optional ones (read only behind ``is defined`` or ``| default``, or declared in
        ``template.json``). Of one channel, or of all."""
        self._entry(name)
        if channel is None:
            resolved = self._resolve_all(name, locale)
        else:
            ch = self._channel(name, channel)
            resolved = {ch: self._resolve(name, ch, locale)}
        return sorted(self._required(name, resolved.values()))

    @overload
    def render(
        self,
        name: str,
        channel: Literal[Channel.EMAIL, "email"],
        variables: Mapping[str, Any],
        locale: str | None = None,
    ) -> RenderedEmail: ...
    @overload
    def render(
        self,
        name: str,
        channel: Literal[Channel.TELEGRAM, "telegram"],
        variables: Mapping[str, Any],
        locale: str | None = None,
    ) -> RenderedTelegram: ...
    @overload
    def render(
        self,
        name: str,
        channel: Literal[Channel.PUSH, "push"],
        variables: Mapping[str, Any],
        locale: str | None = None,
    ) -> RenderedPush: ...
    @overload
    def render(
        self,
        name: str,
        channel: Channel | str,
        variables: Mapping[str, Any],
        locale: str | None = None,
    ) -> Rendered: ...
    def render(
        self,
        name: str,
        channel: Channel | str,
        variables: Mapping[str, Any],
        locale: str | None = None,
    ) -> Rendered:
        """Render ``name`` for one channel. Extra variables are ignored."""
        self._entry(name)
        ch = self._channel(name, channel)
        parts = self._resolve(name, ch, locale)
        self._check_variables(name, ch, [parts], variables)
        return self._compose(name, ch, parts, variables)

    def render_payload(
        self,
        template: str,
        channel: Channel | str,
        variables: Mapping[str, Any],
        locale: str | None = None,
    ) -> dict[str, Any]:
        """``render(...).to_payload()``: the delivery payload the channel's sender reads."""
        return self.render(template, channel, variables, locale).to_payload()

    def render_all(
        self, name: str, variables: Mapping[str, Any], locale: str | None = None
    ) -> dict[Channel, Rendered]:
        """Every channel ``name`` has, for previews; missing variables of all are listed."""
        self._entry(name)
        resolved = self._resolve_all(name, locale)
        self._check_variables(name, None, resolved.values(), variables)
        return {ch: self._compose(name, ch, parts, variables) for ch, parts in resolved.items()}

    # -- internals ---------------------------------------------------------------------

    def _entry(self, name: str) -> TemplateFiles:
        try:
            return self._templates[name]
        except KeyError:
            raise TemplateNotFound(name) from None

    def _channel(self, name: str, channel: Channel | str) -> Channel:
        try:
            return Channel(channel)
        except ValueError:
            raise ChannelNotSupported(name, str(channel)) from None

    def _resolve(self, name: str, channel: Channel, locale: str | None) -> Parts:
        """The channel's parts for ``locale``, each file found along the fallback chain."""
        entry = self._templates[name]
        chain = locale_chain(locale, self.default_locale)
        parts: dict[str, CompiledFile] = {}
        lacking: list[str] = []
        for part in PARTS:
            if part.channel is not channel:
                continue
            path = entry.find(part.filename, chain)
            if path is not None:
                parts[part.key] = self._compiled[path]
            elif part.required:
                lacking.append(part.filename)
        if not parts:
            raise ChannelNotSupported(name, channel, locale)
        if lacking:
            where = locale or self.default_locale
            detail = f"the {channel} variant ({where}) lacks {', '.join(lacking)}"
            raise InvalidTemplate(name, detail)
        return parts

    def _resolve_or_none(self, name: str, channel: Channel, locale: str | None) -> Parts | None:
        try:
            return self._resolve(name, channel, locale)
        except ChannelNotSupported:
            return None

    def _resolve_all(self, name: str, locale: str | None) -> dict[Channel, Parts]:
        resolved = {ch: self._resolve_or_none(name, ch, locale) for ch in Channel}
        return {ch: parts for ch, parts in resolved.items() if parts is not None}

    def _variables(self, name: str, resolved: Iterable[Parts]) -> Variables:
        found = Variables()
        for parts in resolved:
            for compiled in parts.values():
                found |= compiled.variables
        declared = self._meta.get(name, _Meta()).optional
        return Variables(found.required - declared, found.optional | declared)

    def _required(self, name: str, resolved: Iterable[Parts]) -> set[str]:
        return set(self._variables(name, resolved).required)

    def _check_variables(
        self,
        name: str,
        channel: Channel | None,
        resolved: Iterable[Parts],
        variables: Mapping[str, Any],
    ) -> None:
        missing = self._required(name, resolved) - set(variables)
        if missing:
            raise MissingVariables(missing, template=name, channel=channel)

    def _compose(
        self, name: str, channel: Channel, parts: Parts, variables: Mapping[str, Any]
    ) -> Rendered:
        try:
            if channel is Channel.EMAIL:
                return compose_email(parts, variables)
            if channel is Channel.TELEGRAM:
                return compose_telegram(name, parts, variables)
            return compose_push(parts, variables)
        except TemplateError:
            raise
        except Exception as exc:
            # Jinja's UndefinedError (an unguarded optional variable), a filter given a
            # value of the wrong type...: the render cannot succeed as it stands.
            raise RenderFailed(name, channel, f"{type(exc).__name__}: {exc}") from exc


def _load_meta(name: str, path: str, source: str) -> _Meta:
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        raise InvalidTemplate(name, f"{path}: invalid JSON ({exc})") from exc
    description, optional, example, audience = check_meta(name, data, path)
    return _Meta(description, optional, example, audience)
