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
