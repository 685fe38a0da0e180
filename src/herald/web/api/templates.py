"""Templates: what exists, and what a message would look like on every channel."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from herald.web.deps import RuntimeDep
from herald.web.schemas import RequestModel

router = APIRouter(tags=["templates"])


class TemplateOut(BaseModel):
    name: str
    description: str
    channels: list[str]
    locales: list[str]
    required_variables: list[str]
    optional_variables: list[str]
    example: dict[str, Any]
    category: str | None = Field(description="its messages' category (docs/preferences.md)")
    required: bool = Field(description="its messages ignore opt-outs, quiet hours and caps")
    checked: bool = Field(description="its transactional messages are held to preferences")


class PreviewIn(RequestModel):
    vars: dict[str, Any] = Field(default_factory=dict)
    locale: str | None = Field(None, max_length=16)


@router.get("/templates")
async def list_templates(runtime: RuntimeDep) -> list[TemplateOut]:
    registry = runtime.templates
    out = []
    for name in registry.names():
        info = registry.get(name)
        out.append(
            TemplateOut(
                name=info.name,
                description=info.description,
                channels=sorted(c.value for c in info.channels),
                locales=list(info.locales),
                required_variables=list(info.required_variables),
                optional_variables=list(info.optional_variables),
                example=info.example,
                category=info.audience.category,
                required=info.audience.required,
                checked=info.audience.checked,
            )
        )
    return out


@router.post("/templates/{name}/preview")
async def preview(name: str, body: PreviewIn, runtime: RuntimeDep) -> dict[str, dict[str, Any]]:
    """The rendered payload for every channel the template has (what senders would get)."""
    rendered = runtime.templates.render_all(name, body.vars, body.locale)  # see errors.py
    return {channel.value: r.to_payload() for channel, r in rendered.items()}
