"""What the dashboard keeps beside the Runtime (its renderer, session codec, login
throttle), built once by ``mount`` and reached through one dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request

from herald.web.dashboard.render import Pages
from herald.web.dashboard.session import SessionCodec


class Throttle(Protocol):
    def check(self, key: str, now: float) -> float:
        """0 if ``key`` may go on now, else the seconds it must wait."""
        ...


@dataclass(frozen=True, slots=True)
class Dashboard:
    pages: Pages
    sessions: SessionCodec
    login_throttle: Throttle


async def get_dashboard(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


async def get_pages(dashboard: Annotated[Dashboard, Depends(get_dashboard)]) -> Pages:
    return dashboard.pages


DashboardDep = Annotated[Dashboard, Depends(get_dashboard)]
PagesDep = Annotated[Pages, Depends(get_pages)]
