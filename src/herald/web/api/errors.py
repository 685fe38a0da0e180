"""Domain errors as HTTP answers, in one place for every route."""

from __future__ import annotations

from fastapi import HTTPException, status

from herald.messaging.templates import MissingVariables, TemplateError, TemplateNotFound


def template_http_error(exc: TemplateError) -> HTTPException:
    if isinstance(exc, TemplateNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    if isinstance(exc, MissingVariables):
        return HTTPException(
            status.HTTP_400_BAD_REQUEST,
            {"message": str(exc), "missing_variables": exc.names},
        )
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


def unprocessable(loc: list[str | int], message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own, for checks that need the database or the kind."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": loc, "msg": message, "type": "value_error"}]
    )
