"""Domain errors as HTTP answers, in one place for every route.

Routes let the domain's exceptions rise; ``install`` turns each into the HTTPException
it means and hands that to the app's own HTTPException handler, so an API caller gets
JSON and a dashboard page its HTML error page, from the same mapping.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException

from herald.media import MediaRefused
from herald.messaging.intake import UnknownRecipients
from herald.messaging.templates import MissingVariables, TemplateError, TemplateNotFound
from herald.preferences import CategoryExists, CategoryNotFound, PreferenceRuleError
from herald.scheduling.content_rules import ContentRuleError
from herald.scheduling.lifecycle import LifecycleRefused, RunNotFound
from herald.scheduling.schedules import ScheduleExists, ScheduleRuleError
from herald.scheduling.variants import VariantError
from herald.webhooks import EndpointNotFound, WebhookRuleError


def template_http_error(exc: TemplateError) -> HTTPException:
    if isinstance(exc, TemplateNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    if isinstance(exc, MissingVariables):
        return HTTPException(
            status.HTTP_400_BAD_REQUEST,
            {"message": str(exc), "missing_variables": exc.names},
        )
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


def unknown_recipients_error(exc: UnknownRecipients) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        {"message": "unknown recipients", "recipients": exc.external_ids},
    )


def schedule_exists_error(exc: ScheduleExists) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


def unprocessable(loc: list[str | int], message: str) -> HTTPException:
    """A 422 shaped like FastAPI's own, for checks that need the database or the kind."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": loc, "msg": message, "type": "value_error"}]
    )


def rule_error(
    exc: ContentRuleError | ScheduleRuleError | PreferenceRuleError | WebhookRuleError,
) -> HTTPException:
    """A scheduling, preference or webhook rule refused a field of the request's body."""
    return unprocessable(["body", *exc.loc], exc.msg)


def category_exists_error(exc: CategoryExists) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


def not_found_error(exc: CategoryNotFound | EndpointNotFound | RunNotFound) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


def media_refused(exc: MediaRefused) -> HTTPException:
    """A file herald will not keep: over the Bot API's size limits (413), or not what
    the request said it is (422 naming the field)."""
    if exc.too_large:
        return HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            [{"loc": ["body", exc.field], "msg": exc.msg, "type": "too_large"}],
        )
    return unprocessable(["body", exc.field], exc.msg)


def lifecycle_refused_error(exc: LifecycleRefused) -> HTTPException:
    """A run's posts that cannot become what was asked: a conflict with what was sent."""
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


def variant_error(exc: VariantError) -> HTTPException:
    """No test to end, or no such variant in it: the promo's state says no."""
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


def _answer(
    to_http: Callable[[Exception], HTTPException],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        handler = request.app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
        response: Response = await handler(request, to_http(exc))
        return response

    return handle


def install(app: FastAPI) -> None:
    app.add_exception_handler(TemplateError, _answer(template_http_error))  # type: ignore[arg-type]
    app.add_exception_handler(UnknownRecipients, _answer(unknown_recipients_error))  # type: ignore[arg-type]
    app.add_exception_handler(ScheduleExists, _answer(schedule_exists_error))  # type: ignore[arg-type]
    app.add_exception_handler(ContentRuleError, _answer(rule_error))  # type: ignore[arg-type]
    app.add_exception_handler(ScheduleRuleError, _answer(rule_error))  # type: ignore[arg-type]
    app.add_exception_handler(PreferenceRuleError, _answer(rule_error))  # type: ignore[arg-type]
    app.add_exception_handler(CategoryExists, _answer(category_exists_error))  # type: ignore[arg-type]
    app.add_exception_handler(CategoryNotFound, _answer(not_found_error))  # type: ignore[arg-type]
    app.add_exception_handler(MediaRefused, _answer(media_refused))  # type: ignore[arg-type]
    app.add_exception_handler(WebhookRuleError, _answer(rule_error))  # type: ignore[arg-type]
    app.add_exception_handler(EndpointNotFound, _answer(not_found_error))  # type: ignore[arg-type]
    app.add_exception_handler(RunNotFound, _answer(not_found_error))  # type: ignore[arg-type]
    app.add_exception_handler(LifecycleRefused, _answer(lifecycle_refused_error))  # type: ignore[arg-type]
    app.add_exception_handler(VariantError, _answer(variant_error))  # type: ignore[arg-type]
