"""Schedules: list, inspect, create, change (pause, resume, chats, cadence), run now,
and the post log of their runs."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from herald.db.types import MAX_ID
from herald.runtime import Runtime
from herald.scheduling.lifecycle import LifecycleResult
from herald.scheduling.runs import Run
from herald.scheduling.schedules import Schedule
from herald.web.api.errors import unprocessable
from herald.web.deps import Admin, RuntimeDep
from herald.web.scheduling_schemas import ScheduleIn, SchedulePatch
from herald.web.schemas import RequestModel

router = APIRouter(prefix="/schedules", tags=["schedules"])
ScheduleId = Annotated[int, Path(ge=1, le=MAX_ID)]


class TopicOut(BaseModel):
    """``topic_id`` only where there is one: a plain chat's answer is as it always was."""

    topic_id: int | None = Field(None, description="the forum topic (message_thread_id)")

    @model_serializer(mode="wrap")
    def _without_no_topic(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("topic_id") is None:
            data.pop("topic_id", None)
        return data


class ChatOut(TopicOut):
    chat_id: str
    active: bool
    inactive_reason: str | None
    added_at: datetime
    readded_at: datetime | None = Field(
        None, description="inactive, and the bot was added back then: reactivate to post"
    )


class ItemRef(BaseModel):
    id: int
    kind: str
    title: str


class RotationOut(BaseModel):
    position: int = Field(description="index of the next item in the playlist")
    length: int
    upcoming: list[ItemRef] = Field(description="the next items, in the order they will post")


class JobOut(BaseModel):
    state: str = Field(description="scheduled, paused, or not_running (in this process)")
    next_fire_time: datetime | None


class ScheduleOut(BaseModel):
    id: int
    name: str
    kind: str
    items: list[int]
    interval_seconds: int | None
    cron: str | None
    timezone: str
    enabled: bool
    post_on_start: bool
    options: dict[str, Any] = Field(description="over each item's options, field by field")
    chats: list[ChatOut]
    next_run_time: datetime | None
    last_run_time: datetime | None
    last_result: dict[str, Any] | None
    rotation: RotationOut
    job: JobOut


class ActionOut(BaseModel):
    action: str = Field(description="pin, unpin, delete, edit")
    message_id: str
    status: str = Field(description="queued, done, failed")
    detail: str | None = Field(
        description="Telegram's description: why it failed, or that an edit changed nothing"
    )
    delivery_id: int | None
    due_at: datetime
    updated_at: datetime


class PostOut(TopicOut):
    chat_id: str
    status: str
    delivery_id: int | None
    message_id: str | None
    error: str | None
    actions: list[ActionOut] = Field(description="what was done to the post since, oldest first")
    messages: list[dict[str, Any]] | None = Field(
        None,
        description="a media post's messages: {message_id, media_id} per file, then "
        "{message_id, buttons: true} for an album's buttons",
    )


class RunOut(BaseModel):
    id: int
    schedule_id: int
    slot_at: datetime | None = Field(description="the slot posted (null for a manual run)")
    trigger: str
    status: str = Field(description="queued, done, skipped, empty, no_chats")
    content_id: int | None
    content_kind: str | None
    chats: int
    posted_to: int
    failed: int
    detail: str | None
    created_at: datetime
    finished_at: datetime | None
    details: list[PostOut] = Field(description="one entry per chat")


def run_out(run: Run) -> RunOut:
    fields = asdict(run)
    return RunOut.model_validate({**fields, "details": fields.pop("posts")})


async def schedule_out(runtime: Runtime, schedule: Schedule) -> ScheduleOut:
    view = await runtime.scheduler.view(schedule)
    rotation, job = view.rotation, view.job
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        kind=schedule.kind.value,
        items=list(schedule.items),
        interval_seconds=schedule.cadence.interval_seconds,
        cron=schedule.cadence.cron,
        timezone=schedule.cadence.timezone,
        enabled=schedule.enabled,
        post_on_start=schedule.post_on_start,
        options=schedule.options.to_json(),
        chats=[
            ChatOut(
                chat_id=c.chat_id,
                topic_id=c.topic_id,
                active=c.active,
                inactive_reason=c.inactive_reason,
                added_at=c.added_at,
                readded_at=c.readded_at,
            )
            for c in schedule.chats
        ],
        next_run_time=schedule.next_slot_at,
        last_run_time=schedule.last_slot_at,
        last_result=schedule.last_result,
        rotation=RotationOut(
            position=rotation.position,
            length=rotation.length,
            upcoming=[
                ItemRef(id=i.id, kind=i.kind.value, title=i.title) for i in rotation.upcoming
            ],
        ),
        job=JobOut(state=job.state, next_fire_time=job.next_fire_time),
    )


async def _found(runtime: Runtime, schedule_id: int) -> Schedule:
    schedule = await runtime.schedules.get(schedule_id)
    if schedule is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    return schedule


@router.get("", summary="List schedules")
async def list_schedules(runtime: RuntimeDep) -> list[ScheduleOut]:
    return [await schedule_out(runtime, s) for s in await runtime.schedules.all()]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a schedule")
async def create_schedule(body: ScheduleIn, runtime: RuntimeDep, _: Admin) -> ScheduleOut:
    # ScheduleRuleError: 422, ScheduleExists: 409 (web/api/errors.py)
    return await schedule_out(runtime, await runtime.scheduler.create(body.spec()))


@router.get("/{schedule_id}", summary="One schedule: next and last run, rotation, job")
async def get_schedule(schedule_id: ScheduleId, runtime: RuntimeDep) -> ScheduleOut:
    return await schedule_out(runtime, await _found(runtime, schedule_id))


@router.patch("/{schedule_id}", summary="Pause, resume, change chats, items or cadence")
async def update_schedule(
    schedule_id: ScheduleId, body: SchedulePatch, runtime: RuntimeDep, _: Admin
) -> ScheduleOut:
    current = await _found(runtime, schedule_id)
    for field in ("enabled", "post_on_start", "chat_ids", "items", "name", "options"):
        if field in body.model_fields_set and getattr(body, field) is None:
            raise unprocessable(["body", field], "may not be null")
    updated = await runtime.scheduler.update(schedule_id, body.changes(current))
    if updated is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    return await schedule_out(runtime, updated)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_schedule(schedule_id: ScheduleId, runtime: RuntimeDep, _: Admin) -> Response:
    if not await runtime.scheduler.delete(schedule_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{schedule_id}/run", status_code=status.HTTP_202_ACCEPTED, summary="Post the next item now"
)
async def run_schedule(schedule_id: ScheduleId, runtime: RuntimeDep, _: Admin) -> RunOut:
    result = await runtime.runner.run_now(schedule_id)
    if result is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    run = await runtime.runs.run(result.run_id)
    assert run is not None
    return run_out(run)


@router.get("/{schedule_id}/runs", summary="The post log: runs, newest first")
async def list_runs(
    schedule_id: ScheduleId,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RunOut]:
    await _found(runtime, schedule_id)
    return [run_out(r) for r in await runtime.runs.runs(schedule_id, limit=limit)]


@router.get("/{schedule_id}/runs/{run_id}", summary="One run with its per-chat details")
async def get_run(
    schedule_id: ScheduleId, run_id: Annotated[int, Path(ge=1, le=MAX_ID)], runtime: RuntimeDep
) -> RunOut:
    run = await runtime.runs.run(run_id)
    if run is None or run.schedule_id != schedule_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} not found")
    return run_out(run)


class LifecycleIn(RequestModel):
    request_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="this request's own id: repeating it queues nothing twice (without "
        "one, a repeat while the first is queued adds nothing either)",
    )


class ChatActionOut(TopicOut):
    chat_id: str
    message_id: str | None
    status: str = Field(description="queued, already_queued (by an earlier request), skipped")
    detail: str = Field(description="the Bot API method queued, or why the chat was skipped")
    delivery_id: int | None


class LifecycleOut(BaseModel):
    run_id: int
    action: str = Field(description="edit or delete")
    queued: int = Field(description="deliveries this request added")
    chats: list[ChatActionOut]


def lifecycle_out(result: LifecycleResult) -> LifecycleOut:
    return LifecycleOut.model_validate(asdict(result))


RunId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/{schedule_id}/runs/{run_id}/{action}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Edit the run's posts everywhere to what its item says now, or delete them",
)
async def change_run(
    schedule_id: ScheduleId,
    run_id: RunId,
    action: Literal["edit", "delete"],
    runtime: RuntimeDep,
    _: Admin,
    body: LifecycleIn | None = None,
) -> LifecycleOut:
    # RunNotFound: 404, LifecycleRefused: 409 (web/api/errors.py)
    ask = runtime.lifecycle.edit if action == "edit" else runtime.lifecycle.delete
    return lifecycle_out(await ask(schedule_id, run_id, body.request_id if body else None))
