"""What can go wrong with a template, as exceptions callers can act on one by one.

The API maps ``TemplateNotFound`` to 404 and the others to 4xx/422; the worker turns any
of them into a permanent failure, since rendering again cannot help.
"""

from __future__ import annotations

from collections.abc import Iterable


class TemplateError(Exception):
    """Base of every templates error."""


class TemplateNotFound(TemplateError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no template named {name!r}")
        self.name = name


class ChannelNotSupported(TemplateError):
    def __init__(self, name: str, channel: str, locale: str | None = None) -> None:
        channel = str(channel)  # a Channel prints as its value
        where = f" (locale {locale!r})" if locale else ""
        super().__init__(f"template {name!r} has no {channel!r} variant{where}")
        self.name = name
        self.channel = channel
        self.locale = locale


class MissingVariables(TemplateError):
    """Every variable the render needs and was not given, listed at once, sorted."""

    def __init__(
        self, names: Iterable[str], *, template: str | None = None, channel: str | None = None
    ) -> None:
        self.names = sorted(set(names))
        self.template = template
        self.channel = None if channel is None else str(channel)
        what = f"template {template!r}" if template else "template"
        if self.channel:
            what += f" ({self.channel})"
        super().__init__(f"{what} is missing variables: {', '.join(self.names)}")


class InvalidVariable(TemplateError):
    """A variable was given but its value cannot be used (e.g. a side that is not buy/sell)."""

    def __init__(self, name: str, value: object, detail: str) -> None:
        super().__init__(f"variable {name!r} = {value!r}: {detail}")
        self.name = name
        self.value = value
        self.detail = detail


class MessageTooLong(TemplateError):
    """The rendered text is over the channel's limit; herald never cuts a message."""

    def __init__(self, channel: str, length: int, limit: int) -> None:
        channel = str(channel)
        super().__init__(f"{channel} message is {length} characters, over the limit of {limit}")
        self.channel = channel
        self.length = length
        self.limit = limit


class InvalidTemplate(TemplateError):
    """A template's files are malformed: syntax error, bad JSON, unknown file name..."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"template {name!r}: {detail}")
        self.name = name
        self.detail = detail


class RenderFailed(TemplateError):
    """Rendering raised (an unguarded optional variable, a value of the wrong type...)."""

    def __init__(self, name: str, channel: str, detail: str) -> None:
        channel = str(channel)
        super().__init__(f"rendering {name!r} for {channel} failed: {detail}")
        self.name = name
        self.channel = channel
        self.detail = detail
