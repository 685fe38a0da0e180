"""docs/configuration.md, written from the Settings class so the two cannot drift.

``herald config docs`` prints it (``--write`` updates the file); a test fails when the
committed file differs from what the class says.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from herald.config import MOVED, ChannelSettings, Settings

HEADER = """# Configuration

Every setting is an environment variable with the `HERALD_` prefix; a `.env` file in the
working directory is read too. Nested channel settings use `__`, e.g.
`HERALD_TELEGRAM__MAX_ATTEMPTS=8`. Lists take JSON (`[-1001, "@news"]`) or comma-separated
values. A bad value stops the program with one line naming the variable.

This file is generated from `src/herald/config.py` by `herald config docs --write`;
a test fails when the two differ.

| variable | default | meaning |
| --- | --- | --- |
"""


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "unset" if not value.get_secret_value() else "(secret)"
    if isinstance(value, list | tuple) and not value:
        return "empty"
    if hasattr(value, "value"):  # enums
        value = value.value
    return f"`{value}`"


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, info in model.model_fields.items():
        if name in MOVED:
            continue
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, f"{prefix}{name.upper()}__"))
            continue
        # A channel's subclass overrides defaults only; the meaning is the base's.
        inherited = ChannelSettings.model_fields.get(name)
        described = info.description or (inherited.description if inherited else None)
        meaning = (described or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{prefix}{name.upper()}` | {_default(info)} | {meaning} |")
    return rows


MOVED_HEADER = """

## Moved

Setting one of these stops the program with one line naming its new variable, so a
value set under the old name is never silently ignored.

| old variable | set instead |
| --- | --- |
"""


def render() -> str:
    moved = [f"| `HERALD_{old.upper()}` | `{new}` |" for old, new in MOVED.items()]
    return HEADER + "\n".join(_rows(Settings, "HERALD_")) + MOVED_HEADER + "\n".join(moved) + "\n"
