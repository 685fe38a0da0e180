"""Who is looking at the dashboard, and what they may do.

Pages take ``User``; anything that changes something takes ``Operator`` (admin or
owner) or ``OwnerUser``, and a form's CSRF token, so a viewer is refused by the server
whatever the page showed, and no other site can make a logged-in browser act.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status

from herald.auth import Principal, Role
from herald.web.dashboard.deps import DashboardDep
from herald.web.dashboard.session import COOKIE, Session, same_token
from herald.web.deps import RuntimeDep


class LoginRequired(Exception):
    """No valid session: the app answers with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True, slots=True)
class DashboardUser:
    principal: Principal
    session: Session

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def can_change(self) -> bool:
        return self.role.allows(Role.ADMIN)

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER


async def current_user(
    request: Request, runtime: RuntimeDep, dashboard: DashboardDep
) -> DashboardUser:
    session = dashboard.sessions.read(request.cookies.get(COOKIE), runtime.clock.now())
    principal = (
        await runtime.api_keys.active(session.key_id, session.issued_at) if session else None
    )
    if session is None or principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return DashboardUser(principal, session)


User = Annotated[DashboardUser, Depends(current_user)]


def _allowed(user: DashboardUser, role: Role) -> DashboardUser:
    if not user.role.allows(role):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this needs the {role.value} role; you are signed in as {user.role.value}",
        )
    return user


def _needs(role: Role) -> Callable[..., Awaitable[DashboardUser]]:
    async def check(user: User, csrf: Annotated[str, Form()] = "") -> DashboardUser:
        if not same_token(csrf, user.session.csrf):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "the form is stale or from another site: reload it"
            )
        return _allowed(user, role)

    return check


async def _operator_page(user: User) -> DashboardUser:
    return _allowed(user, Role.ADMIN)


Operator = Annotated[DashboardUser, Depends(_needs(Role.ADMIN))]
# A page that is only a form to change something: viewers are refused it outright.
OperatorPage = Annotated[DashboardUser, Depends(_operator_page)]
OwnerUser = Annotated[DashboardUser, Depends(_needs(Role.OWNER))]
