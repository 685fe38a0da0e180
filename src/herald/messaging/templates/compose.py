"""From a channel's compiled parts to its rendered message, and the JSON files' shapes.

Buttons and push extras are JSON whose string values are templates: the structure is
parsed before any variable is seen, so no value can break it. A button whose text or
action renders empty is dropped, which is how a template makes a button conditional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.channel import Channel
from herald.messaging.templates.engine import CompiledFile, render_json
from herald.messaging.templates.errors import InvalidTemplate, MessageTooLong, RenderFailed
from herald.messaging.templates.models import (
    TELEGRAM_CALLBACK_DATA_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    InlineButton,
    RenderedEmail,
    RenderedPush,
    RenderedTelegram,
    TemplateAudience,
)

Parts = Mapping[str, CompiledFile]
_BUTTON_ACTIONS = ("url", "callback_data")
_PUSH_KEYS = frozenset({"icon", "badge", "url", "data"})
_META_KEYS = frozenset({"description", "optional", "example", "category", "required", "checked"})


def check_buttons(name: str, data: Any, path: str) -> None:
    """``[[{"text": ..., "url" | "callback_data": ...}, ...], ...]``: rows of buttons."""
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise InvalidTemplate(name, f"{path}: expected a list of rows (lists of buttons)")
    for row in data:
        for button in row:
            if not isinstance(button, dict) or "text" not in button:
                raise InvalidTemplate(name, f"{path}: each button is an object with a text")
            actions = [key for key in _BUTTON_ACTIONS if key in button]
            if len(actions) != 1 or set(button) != {"text", actions[0]}:
                raise InvalidTemplate(
                    name, f"{path}: a button has a text and exactly one of url, callback_data"
                )
            if not all(isinstance(v, str) for v in button.values()):
                raise InvalidTemplate(name, f"{path}: button values are strings")


def check_push_extras(name: str, data: Any, path: str) -> None:
    """``{"icon": str, "badge": str, "url": str, "data": {...}}``, every key optional."""
    if not isinstance(data, dict) or not set(data) <= _PUSH_KEYS:
        raise InvalidTemplate(name, f"{path}: expected an object with {sorted(_PUSH_KEYS)}")
    for key in ("icon", "badge", "url"):
        if key in data and not isinstance(data[key], str):
            raise InvalidTemplate(name, f"{path}: {key} is a string")
    if "data" in data and not isinstance(data["data"], dict):
        raise InvalidTemplate(name, f"{path}: data is an object")


def check_meta(
    name: str, data: Any, path: str
) -> tuple[str, frozenset[str], dict[str, Any], TemplateAudience]:
    """``{"description": str, "optional": [names], "example": {variables},
    "category": key, "required": bool, "checked": bool}``."""
    if not isinstance(data, dict) or not set(data) <= _META_KEYS:
        raise InvalidTemplate(name, f"{path}: expected an object with {sorted(_META_KEYS)}")
    description = data.get("description", "")
    optional = data.get("optional", [])
    example = data.get("example", {})
    if not isinstance(description, str):
        raise InvalidTemplate(name, f"{path}: description is a string")
    if not isinstance(optional, list) or not all(isinstance(v, str) for v in optional):
        raise InvalidTemplate(name, f"{path}: optional is a list of variable names")
    if not isinstance(example, dict):
        raise InvalidTemplate(name, f"{path}: example is an object of variables")
    category = data.get("category")
    if category is not None and not isinstance(category, str):
        raise InvalidTemplate(name, f"{path}: category is a category's key")
    flags = {key: data.get(key, False) for key in ("required", "checked")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise InvalidTemplate(name, f"{path}: {key} is true or false")
    if flags["required"] and flags["checked"]:
        raise InvalidTemplate(name, f"{path}: a required template cannot also be checked")
    audience = TemplateAudience(category, flags["required"], flags["checked"])
    return description, frozenset(optional), example, audience


def _text(parts: Parts, key: str, variables: Mapping[str, Any]) -> str:
    template = parts[key].template
    assert template is not None
    return template.render(variables).strip()


def _one_line(text: str) -> str:
    """Subjects and titles are one line: a newline in a subject is a header injection."""
    return " ".join(text.split())


def compose_email(parts: Parts, variables: Mapping[str, Any]) -> RenderedEmail:
    return RenderedEmail(
        subject=_one_line(_text(parts, "subject", variables)),
        text=_text(parts, "text", variables),
        html=_text(parts, "html", variables),
    )


def compose_telegram(name: str, parts: Parts, variables: Mapping[str, Any]) -> RenderedTelegram:
    text = _text(parts, "text", variables)
    if not text:
        raise RenderFailed(name, Channel.TELEGRAM, "the message text is empty")
    if len(text) > TELEGRAM_TEXT_LIMIT:
        raise MessageTooLong(Channel.TELEGRAM, len(text), TELEGRAM_TEXT_LIMIT)
    rows: list[tuple[InlineButton, ...]] = []
    if "buttons" in parts:
        for row in render_json(parts["buttons"].json, variables):
            buttons = tuple(b for b in (_button(spec) for spec in row) if b is not None)
            if buttons:
                rows.append(buttons)
    return RenderedTelegram(text=text, buttons=tuple(rows))


def _button(spec: dict[str, str]) -> InlineButton | None:
    text = spec["text"]
    if "url" in spec:
        return InlineButton(text=text, url=spec["url"]) if text and spec["url"] else None
    data = spec["callback_data"]
    if not (text and data):
        return None
    size = len(data.encode("utf-8"))
    if size > TELEGRAM_CALLBACK_DATA_LIMIT:
        raise MessageTooLong("telegram callback_data", size, TELEGRAM_CALLBACK_DATA_LIMIT)
    return InlineButton(text=text, callback_data=data)


def compose_push(parts: Parts, variables: Mapping[str, Any]) -> RenderedPush:
    extras: dict[str, Any] = (
        render_json(parts["extras"].json, variables) if "extras" in parts else {}
    )
    return RenderedPush(
        title=_one_line(_text(parts, "title", variables)),
        body=_text(parts, "body", variables),
        icon=extras.get("icon") or None,
        badge=extras.get("badge") or None,
        url=extras.get("url") or None,
        data=extras.get("data", {}),
    )
