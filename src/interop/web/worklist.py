"""The unit worklist (``/app/units``): a unit's staff see their units' pending referrals, open one,
accept / reject with a reason / complete with an outcome, and print its referral sheet.

Answers go through ``referral.service.update_task`` with the person's context — the function the FHIR
``PUT /fhir/Task/{id}`` calls — so state, re-routing, notifications and audit are those of a clinic
system's update; the version the page showed is the If-Match. The scope is the clinic's: another unit's
referral is a 404 page whatever its id, with nothing of it shown.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from interop.api.deps import SessionDep
from interop.referral import service as referral_service
from interop.referral.errors import IllegalTransition, VersionConflict
from interop.web import messages, outcomes, referral_words  # noqa: F401 - referral_words registers words
from interop.web.deps import Person, require_person
from interop.web.pages import PageNotFound, WebRoute, language, render
from interop.web.sheet_pdf import render_sheet

router = APIRouter(route_class=WebRoute)
UnitStaff = Annotated[Person, Depends(require_person("unit_staff"))]
FINAL = ("completed", "failed", "cancelled", "rejected")


def _task_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PageNotFound() from None


def age_label(hours: float) -> tuple[str, dict[str, int]]:
    """The age's catalogue key and value: hours under two days, days after."""
    if hours < 48:
        return "worklist.hours", {"n": int(hours)}
    return "worklist.days", {"n": int(hours // 24)}


@router.get("/units", name="worklist")
async def worklist_page(
    request: Request,
    session: SessionDep,
    person: UnitStaff,
    page: Annotated[int, Query(ge=1, le=200)] = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    scope = await referral_service.scope_for(session, person.ctx)
    work = await referral_service.list_worklist(
        session, person.ctx, scope=scope, now=datetime.now(UTC), page=page
    )
    units = ", ".join(sorted(person.account.clues)) or "-"
    return render(
        request,
        "worklist.html",
        person=person,
        work=work,
        units=units,
        ages={i.task_id: age_label(i.age_hours) for i in work.items},
        done="rejected" if done == "rejected" else None,
    )


async def _sheet_page(
    request: Request,
    session: SessionDep,
    person: Person,
    task_id: uuid.UUID,
    *,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    scope = await referral_service.scope_for(session, person.ctx)
    sheet = await referral_service.get_sheet(session, person.ctx, scope=scope, task_id=task_id)
    done = request.query_params.get("done")
    return render(
        request,
        "referral.html",
        status_code=status_code,
        person=person,
        sheet=sheet,
        final=sheet.status in FINAL,
        done=done if done in ("accepted", "rejected", "completed") else None,
        problem=problem,
        outcomes=list(outcomes.OUTCOMES),
        reasons=list(outcomes.REJECT_REASONS),
        observation_label=referral_service.observation_label,
    )


@router.get("/units/{task_id}", name="worklist-referral")
async def referral_page(task_id: str, request: Request, session: SessionDep, person: UnitStaff) -> Response:
    return await _sheet_page(request, session, person, _task_id(task_id))


@router.get("/units/{task_id}/sheet.pdf", name="worklist-sheet")
async def referral_sheet_pdf(
    task_id: str, request: Request, session: SessionDep, person: UnitStaff
) -> Response:
    scope = await referral_service.scope_for(session, person.ctx)
    sheet = await referral_service.get_sheet(session, person.ctx, scope=scope, task_id=_task_id(task_id))
    lang = language(request)
    pdf = render_sheet(sheet, lambda key, **kw: messages.translate(lang, key, **kw))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="hoja-referencia-{sheet.task_id}.pdf"',
        },
    )


async def _apply(
    request: Request,
    session: SessionDep,
    person: Person,
    task_id: uuid.UUID,
    version: int,
    changes: list[referral_service.TaskChange],
    done: str,
    completion: outcomes.Completion | None = None,
) -> Response:
    """The changes in order, each with the version the previous one left as If-Match (the first with the
    version the page showed), then the ending if any; all in the request's one transaction."""
    scope = await referral_service.scope_for(session, person.ctx)
    expected = version
    try:
        for change in changes:
            updated = await referral_service.update_task(
                session, person.ctx, scope=scope, task_id=task_id, change=change, if_match=expected
            )
            expected = int(updated.task["version"])
        if completion is not None:
            await referral_service.complete_task(
                session,
                person.ctx,
                scope=scope,
                task_id=task_id,
                status=completion.status,
                outcome=completion.outcome,
                note=completion.note,
                if_match=expected,
            )
    except VersionConflict:
        await session.rollback()
        return await _sheet_page(request, session, person, task_id, status_code=409, problem="referral.stale")
    except IllegalTransition:
        await session.rollback()
        return await _sheet_page(
            request, session, person, task_id, status_code=409, problem="referral.illegal"
        )
    if done == "rejected":  # the referral is now the next unit's: back to the list, not to its page
        return RedirectResponse("/app/units?done=rejected", status_code=303)
    return RedirectResponse(f"/app/units/{task_id}?done={done}", status_code=303)


async def _current_status(session: SessionDep, person: Person, task_id: uuid.UUID) -> str:
    scope = await referral_service.scope_for(session, person.ctx)
    task = await referral_service.get_task(session, scope=scope, task_id=task_id)
    return str(task["status"])


@router.post("/units/{task_id}/accept", name="worklist-accept")
async def accept(
    task_id: str,
    request: Request,
    session: SessionDep,
    person: UnitStaff,
    version: Annotated[int, Form(ge=1, le=2**31)],
) -> Response:
    return await _apply(request, session, person, _task_id(task_id), version, outcomes.accept(), "accepted")


@router.post("/units/{task_id}/reject", name="worklist-reject")
async def reject(
    task_id: str,
    request: Request,
    session: SessionDep,
    person: UnitStaff,
    version: Annotated[int, Form(ge=1, le=2**31)],
    reason: Annotated[str, Form(max_length=40)] = "",
    detail: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    tid = _task_id(task_id)
    try:
        changes = outcomes.reject(reason, detail.strip() or None)
    except outcomes.UnknownChoice:
        return await _sheet_page(
            request, session, person, tid, status_code=422, problem="referral.invalid_choice"
        )
    return await _apply(request, session, person, tid, version, changes, "rejected")


@router.post("/units/{task_id}/complete", name="worklist-complete")
async def complete(
    task_id: str,
    request: Request,
    session: SessionDep,
    person: UnitStaff,
    version: Annotated[int, Form(ge=1, le=2**31)],
    outcome: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    tid = _task_id(task_id)
    status = await _current_status(session, person, tid)
    try:
        changes, completion = outcomes.complete(status, outcome, note.strip() or None)
    except outcomes.UnknownChoice:
        return await _sheet_page(
            request, session, person, tid, status_code=422, problem="referral.invalid_choice"
        )
    return await _apply(request, session, person, tid, version, changes, "completed", completion)
