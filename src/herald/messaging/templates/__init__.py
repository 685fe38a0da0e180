"""Message templates: one name, a variant per channel, every variable escaped for its target.

On disk (the built-ins in ``builtin/``, an operator's in ``HERALD_TEMPLATES_DIR``)::

    <name>/
        template.json            optional: {"description": "...", "optional": [variables],
                                            "example": {variables for previews},
                                            "category": "<key>", "required": bool,
                                            "checked": bool} (docs/preferences.md)
        email.subject.j2         email: subject (one line; whitespace collapsed)
        email.txt.j2                    plain-text body (not escaped)
        email.html.j2                   HTML body (autoescaped)
        telegram.md.j2           telegram: MarkdownV2 text (every value escaped)
        telegram.buttons.json              optional inline keyboard
        push.title.j2            push: title (one line)
        push.body.j2                   body
        push.json                      optional {"icon", "badge", "url", "data": {...}}
        <locale>/<any of the channel files above>
    _<anything>/                 shared partials for {% include %} / {% import %}

A channel exists when its files are there: email needs all three, telegram its text,
push title and body. The ``.json`` files are JSON whose string values are Jinja
templates, rendered as plain text after the JSON is parsed; a button whose text or
url/callback_data renders empty is dropped (so ``{{ x | default('') }}`` makes a button
conditional). Buttons are rows: ``[[{"text": "...", "url": "..."}], [{"text": "...",
"callback_data": "..."}]]``.

Locales: a file is looked up in ``<name>/<locale>/``, then the language alone
(``de-at`` -> ``de``), then the default locale's directory, then ``<name>/`` itself,
file by file: a ``de/email.subject.j2`` alone gives a German subject over the default
body. Locale names are case- and ``-``/``_``-insensitive.

The operator's directory overlays the built-ins file by file (same relative path wins),
so it can replace one channel of a built-in, add a translation, or add templates.

In ``telegram.md.j2`` text written in the template is MarkdownV2 as it stands (escape
your own ``.``, ``!``, ``-``...), while every ``{{ value }}`` is escaped as ordinary
text. Inside a code span or pre block write ``{{ value|code }}``; inside a link's
parentheses ``{{ url|link_url }}``, or build the whole link with ``{{ link(text, url) }}``.
``|safe`` marks a macro call or ``{% set %}`` block (already escaped) as MarkdownV2.
``side|position_side`` gives ``long``/``short`` for buy/sell in every channel.
"""

from __future__ import annotations

from herald.messaging.templates.errors import (
    ChannelNotSupported,
    InvalidTemplate,
    InvalidVariable,
    MessageTooLong,
    MissingVariables,
    RenderFailed,
    TemplateError,
    TemplateNotFound,
)
from herald.messaging.templates.markdown import (
    Markdown,
    MarkdownContext,
    escape_markdown_v2,
    link,
    unescape_markdown_v2,
)
from herald.messaging.templates.models import (
    TELEGRAM_CALLBACK_DATA_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    InlineButton,
    Rendered,
    RenderedEmail,
    RenderedPush,
    RenderedTelegram,
    TemplateInfo,
)
from herald.messaging.templates.registry import TemplateRegistry

__all__ = [
    "TELEGRAM_CALLBACK_DATA_LIMIT",
    "TELEGRAM_TEXT_LIMIT",
    "ChannelNotSupported",
    "InlineButton",
    "InvalidTemplate",
    "InvalidVariable",
    "Markdown",
    "MarkdownContext",
    "MessageTooLong",
    "MissingVariables",
    "RenderFailed",
    "Rendered",
    "RenderedEmail",
    "RenderedPush",
    "RenderedTelegram",
    "TemplateError",
    "TemplateInfo",
    "TemplateNotFound",
    "TemplateRegistry",
    "escape_markdown_v2",
    "link",
    "unescape_markdown_v2",
]
