"""Writing ServiceRequest and Task versions: every change takes a new ``change_seq`` and keeps a snapshot.

Snapshots are JSON-ready dicts of the row (ids and timestamps as strings); the FHIR mapping renders the
current row and every past version from the same shape.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Date, DateTime, Insert, Row, Table, Uuid, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeEngine

from interop.job import service as job_service
from interop.referral.models import (
    CHANGE_SEQ,
    OPEN_NEED_WHERE,
    Notification,
    Referral,
    ReferralTask,
    ResourceVersion,
    Subscription,
)
from interop.units.service import Unit

NOTIFY_JOB = "referral.notify"
NOTIFY_MAX_ATTEMPTS = 8
SUBSCRIPTION_LIVE = ("requested", "active", "error")

# Statements built once, with the values passed at execution: SQLAlchemy then reuses the compiled form
# instead of coercing every value into the statement and hashing it for its cache on each call (which
# was a third of a visit post's CPU).
_VERSIONS = cast(Table, ResourceVersion.__table__)
_SUBSCRIPTIONS = cast(Table, Subscription.__table__)
_NOTIFICATIONS = cast(Table, Notification.__table__)
_INSERT_VERSION = insert(_VERSIONS)
_INSERT_FIRST: dict[type[Referral] | type[ReferralTask], Insert] = {
    model: insert(cast(Table, model.__table__))
    .values(change_seq=CHANGE_SEQ.next_value())
    .returning(cast(Table, model.__table__).c.change_seq)
    for model in (Referral, ReferralTask)
}
_REFERRALS = cast(Table, Referral.__table__)
# A new referral unless the person already has an open one for the need (``uq_referral_open_need``): no
# row comes back then, and the caller adds to the open one.
_INSERT_OPEN_REFERRAL = (
    pg_insert(_REFERRALS)
    .values(change_seq=CHANGE_SEQ.next_value())
    .on_conflict_do_nothing(
        index_elements=[_REFERRALS.c.patient_id, _REFERRALS.c.care_requested, _REFERRALS.c.reason_category],
        index_where=text(OPEN_NEED_WHERE),
    )
    .returning(_REFERRALS.c.change_seq)
)
_BUMP_SUBSCRIPTIONS = (
    update(_SUBSCRIPTIONS)
    .where(
        _SUBSCRIPTIONS.c.clues.contains(bindparam("unit")),
        _SUBSCRIPTIONS.c.status.in_(SUBSCRIPTION_LIVE),
        _SUBSCRIPTIONS.c.topic == "task",
    )
    .values(events_since_start=_SUBSCRIPTIONS.c.events_since_start + 1)
    .returning(_SUBSCRIPTIONS.c.id, _SUBSCRIPTIONS.c.events_since_start)
)
_BUMP_REQUESTER_SUBSCRIPTIONS = (
    update(_SUBSCRIPTIONS)
    .where(
        _SUBSCRIPTIONS.c.client_id == bindparam("requester"),
        _SUBSCRIPTIONS.c.status.in_(SUBSCRIPTION_LIVE),
        _SUBSCRIPTIONS.c.topic == "service-request",
    )
    .values(events_since_start=_SUBSCRIPTIONS.c.events_since_start + 1)
    .returning(_SUBSCRIPTIONS.c.id, _SUBSCRIPTIONS.c.events_since_start)
)
_INSERT_NOTIFICATION = insert(_NOTIFICATIONS).returning(_NOTIFICATIONS.c.id)


def jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(row: Referral | ReferralTask) -> dict[str, Any]:
    """The row as a JSON-ready dict (the shape stored per version)."""
    table = cast(Table, row.__table__)
    return rows_snapshots(table, [tuple(getattr(row, key) for key in _plan(table)[0])])[0]


def _converter(column_type: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    if isinstance(column_type, Uuid):
        return str
    if isinstance(column_type, DateTime | Date):
        return _isoformat
    return None


def _isoformat(value: date | datetime) -> str:
    return value.isoformat()


@functools.cache
def _plan(table: Table) -> tuple[list[str], list[int], list[tuple[int, Callable[[Any], Any]]]]:
    """Column keys, the columns kept as they are (text, numbers, JSONB) and those converted (ids to
    text, instants to ISO 8601), decided once per table from the column types."""
    keys = [column.key for column in table.columns]
    converters = [_converter(column.type) for column in table.columns]
    plain = [i for i, conv in enumerate(converters) if conv is None]
    converted = [(i, conv) for i, conv in enumerate(converters) if conv is not None]
    return keys, plain, converted


def rows_snapshots(table: Table, rows: Sequence[Row[Any] | tuple[Any, ...]]) -> list[dict[str, Any]]:
    """``snapshot``'s shape from rows in the table's column order (searches select plain rows, not ORM
    objects): each column's conversion is chosen from its type, not per value (a page is ~2,000 values)."""
    keys, plain, converted = _plan(table)
    out = []
    for row in rows:
        snap = {keys[i]: row[i] for i in plain}
        for i, conv in converted:
            value = row[i]
            snap[keys[i]] = None if value is None else conv(value)
        out.append({key: snap[key] for key in keys})
    return out


async def _write_version(
    session: AsyncSession,
    *,
    resource_type: str,
    resource_id: uuid.UUID,
    version: int,
    snap: dict[str, Any],
    client_id: str | None,
) -> None:
    await session.execute(
        _INSERT_VERSION,
        {
            "resource_type": resource_type,
            "resource_id": resource_id,
            "version": version,
            "snapshot": snap,
            "client_id": client_id,
        },
    )


async def create(
    session: AsyncSession,
    model: type[Referral] | type[ReferralTask],
    values: dict[str, Any],
    *,
    client_id: str,
    history: bool = True,
) -> dict[str, Any]:
    """Insert version 1 and (unless the caller batches it with ``first_versions``) its history row;
    returns the snapshot."""
    values = {**values, "version": 1}
    change_seq = (await session.execute(_INSERT_FIRST[model], values)).scalar_one()
    snap: dict[str, Any] = jsonable({**values, "change_seq": change_seq, "created_at": values["updated_at"]})
    if history:
        await _write_version(
            session,
            resource_type="ServiceRequest" if model is Referral else "Task",
            resource_id=values["id"],
            version=1,
            snap=snap,
            client_id=client_id,
        )
    return snap


async def create_open_referral(
    session: AsyncSession, values: dict[str, Any], *, client_id: str
) -> dict[str, Any] | None:
    """Version 1 of a referral (no history row: ``first_versions`` batches it), or None when the person
    already has an open referral for its need: the insert then waits for a concurrent first visit of the
    same need to end, and yields to it if it committed."""
    values = {**values, "version": 1}
    change_seq = (await session.execute(_INSERT_OPEN_REFERRAL, values)).scalar_one_or_none()
    if change_seq is None:
        return None
    snap: dict[str, Any] = jsonable({**values, "change_seq": change_seq, "created_at": values["updated_at"]})
    return snap


async def first_versions(
    session: AsyncSession, snaps: list[tuple[str, dict[str, Any]]], *, client_id: str
) -> None:
    """History rows of several new resources in one statement (one round trip on the visit path)."""
    await session.execute(
        _INSERT_VERSION,
        [
            {
                "resource_type": kind,
                "resource_id": uuid.UUID(snap["id"]),
                "version": 1,
                "snapshot": snap,
                "client_id": client_id,
            }
            for kind, snap in snaps
        ],
    )


async def bump(
    session: AsyncSession,
    row: Referral | ReferralTask,
    changes: dict[str, Any],
    *,
    now: datetime,
    client_id: str,
) -> dict[str, Any]:
    """Apply ``changes`` to a locked row as a new version; returns the new snapshot."""
    model = type(row)
    values = {**changes, "version": row.version + 1, "updated_at": now}
    change_seq = (
        await session.execute(
            update(model)
            .where(model.id == row.id)
            .values(**values, change_seq=CHANGE_SEQ.next_value())
            .returning(model.change_seq)
        )
    ).scalar_one()
    # The row now matches the database: set as committed, or the unit of work would write it again.
    for key, value in {**values, "change_seq": change_seq}.items():
        set_committed_value(row, key, value)
    snap = snapshot(row)
    resource_type = "ServiceRequest" if model is Referral else "Task"
    await _write_version(
        session,
        resource_type=resource_type,
        resource_id=row.id,
        version=row.version,
        snap=snap,
        client_id=client_id,
    )
    if isinstance(row, Referral):  # Bienestar learns of every change to a referral it sent
        await _notify(
            session,
            await session.execute(_BUMP_REQUESTER_SUBSCRIPTIONS, {"requester": row.requester_client_id}),
            resource_type="ServiceRequest",
            resource_id=row.id,
            version=row.version,
            trace_id=None,
        )
    return snap


def task_values(
    *,
    task_id: uuid.UUID,
    referral_id: uuid.UUID,
    visit_id: str,
    client_id: str,
    priority: str,
    patient_id: uuid.UUID,
    unit: Unit,
    now: datetime,
    previous: uuid.UUID | None,
    home_visit: bool = False,
) -> dict[str, Any]:
    """Version 1 of a Task for ``unit`` (a new referral's, or the next unit's after a rejection);
    ``home_visit``: the unit goes to the person (issue 17)."""
    return {
        "id": task_id,
        "referral_id": referral_id,
        "previous_task_id": previous,
        "visit_id": visit_id,
        "requester_client_id": client_id,
        "status": "requested",
        "priority": priority,
        "business_status": None,
        "status_reason": None,
        "output": [],
        "patient_id": patient_id,
        "owner_clues": unit.clues,
        "owner_org_id": unit.organization_id,
        "owner_name": unit.nombre,
        "home_visit": home_visit,
        "authored_on": now,
        "updated_at": now,
    }


OPEN_TASK_STATUSES = ("requested", "accepted", "in-progress")


async def open_task(session: AsyncSession, *, referral_id: uuid.UUID) -> ReferralTask | None:
    """The referral's open Task, locked (at most one is open at a time)."""
    stmt = (
        select(ReferralTask)
        .where(ReferralTask.referral_id == referral_id, ReferralTask.status.in_(OPEN_TASK_STATUSES))
        .order_by(ReferralTask.change_seq.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def notify_task_change(
    session: AsyncSession, *, task_id: uuid.UUID, task_version: int, owner_clues: str, trace_id: str | None
) -> int:
    """Queue one notification per live subscription covering the Task's unit. Returns how many."""
    subs = await session.execute(_BUMP_SUBSCRIPTIONS, {"unit": [owner_clues]})
    return await _notify(
        session, subs, resource_type="Task", resource_id=task_id, version=task_version, trace_id=trace_id
    )


async def _notify(
    session: AsyncSession,
    subs: Any,
    *,
    resource_type: str,
    resource_id: uuid.UUID,
    version: int,
    trace_id: str | None,
) -> int:
    rows = subs.all()
    for sub_id, event_number in rows:
        note_id = (
            await session.execute(
                _INSERT_NOTIFICATION,
                {
                    "subscription_id": sub_id,
                    "event_number": event_number,
                    "task_id": resource_id,
                    "task_version": version,
                    "resource_type": resource_type,
                },
            )
        ).scalar_one()
        await job_service.enqueue(
            session,
            kind=NOTIFY_JOB,
            payload={"notification_id": note_id},
            queue_key=f"subscription:{sub_id}",
            trace_id=trace_id,
            max_attempts=NOTIFY_MAX_ATTEMPTS,
        )
    return len(rows)
