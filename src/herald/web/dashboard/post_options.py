"""The post options as the content editor and the schedule form show them: a few
selects and a checkbox, read back into the API's ``options`` body so both forms are
checked by the API's own model (``OptionsIn``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.scheduling.options import LinkPreview, Pin, PostOptions

FIELDS = ("opt_silent", "opt_protect", "opt_preview", "opt_preview_url", "opt_preview_size",
          "opt_pin", "opt_unpin_hours", "opt_delete_hours")  # fmt: skip
_YES_NO = {"yes": True, "no": False}


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def form_of(options: PostOptions) -> dict[str, Any]:
    """The options as the form's fields ("" is "not set": inherited)."""
    preview = options.link_preview
    shown = preview if isinstance(preview, LinkPreview) else LinkPreview()
    return {
        "opt_silent": _yes_no(options.silent),
        "opt_protect": _yes_no(options.protect_content),
        "opt_preview": "" if preview is None else "on" if preview else "off",
        "opt_preview_url": shown.url or "",
        "opt_preview_size": shown.size.value if shown.size else "",
        "opt_preview_above": shown.above_text,
        **_pin_form(options.pin),
        "opt_delete_hours": _hours(options.delete_after_hours),
    }


def _hours(value: float | bool | None) -> str:
    """ "" not set, "never" (false), or the number as written (3, not 3.0)."""
    if value is None or value is True:
        return ""
    return "never" if value is False else f"{value:g}"


def _pin_form(pin: Pin | bool | None) -> dict[str, str]:
    if not isinstance(pin, Pin):
        return {"opt_pin": "" if pin is None else "off", "opt_unpin_hours": ""}
    return {
        "opt_pin": "notify" if pin.notify else "quiet",
        "opt_unpin_hours": _hours(pin.unpin_after_hours),
    }


def _number(text: str) -> object:
    """A number if the text is one; else the text, for the API to refuse by name."""
    try:
        return float(text)
    except ValueError:
        return text


def read(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's option fields, as submitted."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return {name: text(name) for name in FIELDS} | {
        "opt_preview_above": bool(form.get("opt_preview_above"))
    }


def body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields as the API's ``options`` JSON: only what is set."""
    options: dict[str, Any] = {}
    for name, key in (("opt_silent", "silent"), ("opt_protect", "protect_content")):
        if fields[name] in _YES_NO:
            options[key] = _YES_NO[fields[name]]
        elif fields[name]:
            options[key] = fields[name]  # not a choice: the API names the field
    if fields["opt_preview"] == "off":
        options["link_preview"] = False
    elif fields["opt_preview"] == "on":
        preview: dict[str, Any] = {"above_text": fields["opt_preview_above"]}
        if fields["opt_preview_url"]:
            preview["url"] = fields["opt_preview_url"]
        if fields["opt_preview_size"]:
            preview["size"] = fields["opt_preview_size"]
        options["link_preview"] = preview
    if fields["opt_pin"] == "off":
        options["pin"] = False
    elif fields["opt_pin"] in ("quiet", "notify"):
        unpin = _number(fields["opt_unpin_hours"]) if fields["opt_unpin_hours"] else None
        options["pin"] = {"notify": fields["opt_pin"] == "notify", "unpin_after_hours": unpin}
    if fields["opt_delete_hours"] == "never":
        options["delete_after_hours"] = False
    elif fields["opt_delete_hours"]:
        options["delete_after_hours"] = _number(fields["opt_delete_hours"])
    return options
