"""The programme dashboard (``/app/dashboard``): managers see, for their entidades only (admin: all),
referrals by entidad, unit and status, the ageing of unanswered referrals against the escalation time,
rejection and completion rates, outcomes, and the identity-review backlog — counts, never names or CURPs.

The figures come from ``referral.service.programme_stats``, the function ``GET /v1/referral-stats`` calls,
so the page and the API agree. Each section is a chart (server-side SVG) over a table, and a CSV of the
same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from interop.api.deps import SessionDep, SettingsDep
from interop.referral import service as referral_service
from interop.referral.stats_schemas import ProgrammeStats
from interop.web import dashboard_tables, messages, referral_words  # noqa: F401 - registers the words
from interop.web.deps import Person, require_person
from interop.web.pages import PageNotFound, WebRoute, language, render

router = APIRouter(route_class=WebRoute)
Manager = Annotated[Person, Depends(require_person("manager"))]


def entidades_of(person: Person) -> list[str] | None:
    """A manager's entidades (none bound: none shown); an admin sees every entidad."""
    if person.role == "admin":
        return None
    return sorted(person.account.entidades)


async def _stats(session: SessionDep, settings: SettingsDep, person: Person) -> ProgrammeStats:
    return await referral_service.programme_stats(
        session,
        entidades=entidades_of(person),
        now=datetime.now(UTC),
        escalation_hours=settings.referral_answer_hours,
    )


@router.get("/dashboard", name="dashboard")
async def dashboard_page(
    request: Request, session: SessionDep, settings: SettingsDep, person: Manager
) -> Response:
    stats = await _stats(session, settings, person)
    lang = language(request)

    def t(key: str, **kw: object) -> str:
        return messages.translate(lang, key, **kw)

    entidades = entidades_of(person)
    return render(
        request,
        "dashboard.html",
        person=person,
        stats=stats,
        entidades=entidades,
        tables=dashboard_tables.tables(stats, t),
        summary=dashboard_tables.summary(stats),
        shown=dashboard_tables.shown,
    )


@router.get("/dashboard/{table}.csv", name="dashboard-csv")
async def dashboard_csv(
    table: str, request: Request, session: SessionDep, settings: SettingsDep, person: Manager
) -> Response:
    if table not in dashboard_tables.TABLE_KEYS:
        raise PageNotFound()
    stats = await _stats(session, settings, person)
    lang = language(request)
    found = dashboard_tables.by_key(
        dashboard_tables.tables(stats, lambda key, **kw: messages.translate(lang, key, **kw)), table
    )
    if found is None:
        raise PageNotFound()
    # A byte-order mark so spreadsheet programs read the accents as UTF-8.
    return Response(
        "\ufeff" + found.csv(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="tablero-{table}.csv"',
        },
    )
