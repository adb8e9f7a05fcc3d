"""The review queue for people: ``/app/reviews`` (filters: entidad, source, age, score band) and
``/app/reviews/{id}`` (both records side by side, per-field agreement, the model's evidence; decide link /
not link / defer with a reason).

A decision goes through ``matching.reviews.decide_review``, the very function behind
``POST /v1/match-reviews/{id}/decision``, with the person's context: same rules, same links, same audit
event. Opening a review is ``matching.reviews.get_review``, the function behind the API read, which
audits it with the person as the acting user. Deferring keeps the review open (no decision exists for
"later" in the API) and skips it for the rest of this session; it is audited as an ``E`` event.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from interop.api.deps import DbId, SessionDep
from interop.audit import service as audit_service
from interop.audit.schemas import AuditEntity
from interop.matching import review_queue, reviews
from interop.matching.errors import ReviewAlreadyDecided
from interop.web import evidence_words, messages, review_view
from interop.web import session as web_session
from interop.web.deps import Person, require_person
from interop.web.pages import WebRoute, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reviewer = Annotated[Person, Depends(require_person("reviewer"))]
PAGE_SIZE = 25
_MAX_DEFERRED = 200

messages.add(
    {
        "reviews.title": "Revisión de identidades",
        "reviews.filters": "Filtros",
        "reviews.entidad": "Entidad",
        "reviews.source": "Origen",
        "reviews.source.any": "Todos",
        "reviews.source.batch": "Corrida por lotes",
        "reviews.source.visit": "Visita domiciliaria",
        "reviews.run": "Corrida n.º",
        "reviews.age": "Antigüedad",
        "reviews.age.any": "Cualquiera",
        "reviews.age.hoy": "Menos de un día",
        "reviews.age.semana": "De 1 a 7 días",
        "reviews.age.antigua": "Más de 7 días",
        "reviews.band": "Probabilidad",
        "reviews.band.any": "Cualquiera",
        "reviews.band.alta": "Alta (≥ 0.90)",
        "reviews.band.media": "Media (0.70–0.90)",
        "reviews.band.baja": "Baja (< 0.70)",
        "reviews.apply": "Aplicar",
        "reviews.count": "{total} pendientes con estos filtros",
        "reviews.empty": "No hay revisiones pendientes con estos filtros.",
        "reviews.col.id": "N.º",
        "reviews.col.score": "Probabilidad",
        "reviews.col.left": "Registro A",
        "reviews.col.right": "Registro B",
        "reviews.col.entidad": "Entidad",
        "reviews.col.age": "En cola desde",
        "reviews.open": "Abrir",
        "reviews.prev": "Anterior",
        "reviews.next": "Siguiente",
        "review.title": "Revisión n.º {id}",
        "review.field": "Campo",
        "review.agreement": "Coincidencia",
        "review.same": "igual",
        "review.differs": "distinto",
        "review.missing": "falta",
        "review.evidence": "Evidencia del modelo",
        "review.evidence_intro": "Cada comparación suma (a favor de que sean la misma persona) o resta.",
        "review.comparison": "Comparación",
        "review.level": "Nivel",
        "review.weight": "Peso",
        "review.for": "a favor",
        "review.against": "en contra",
        "review.total": "Peso total {weight} · probabilidad del modelo antes de calibrar {probability}",
        "review.score": "Probabilidad calibrada",
        "review.model": "Modelo {version}",
        "review.decide": "Decisión",
        "review.reason": "Motivo (obligatorio)",
        "review.link": "Misma persona (vincular)",
        "review.not_link": "Personas distintas (no vincular)",
        "review.defer": "Diferir",
        "review.keys": "Atajos: V vincular · N no vincular · D diferir · M escribir motivo · S siguiente",
        "review.decided": "Ya decidida: {decision} por {by}.",
        "review.decision.link": "misma persona",
        "review.decision.not-link": "personas distintas",
        "review.reason_missing": "Escriba el motivo de la decisión.",
        "review.saved": "Decisión guardada en la revisión n.º {id}.",
        "review.deferred": "Revisión n.º {id} diferida: queda abierta para después.",
        "review.already": "Otra persona ya decidió esta revisión.",
        "review.reverse": "Revertir la decisión",
        "review.reversed": "Decisión revertida en la revisión n.º {id}.",
        "review.skip": "Saltar a la siguiente",
        "review.back": "Volver a la cola",
        "review.none_left": "No quedan revisiones pendientes con estos filtros.",
    },
    {
        "reviews.title": "Identity review",
        "reviews.filters": "Filters",
        "reviews.source": "Source",
        "reviews.source.any": "All",
        "reviews.source.batch": "Batch run",
        "reviews.source.visit": "Home visit",
        "reviews.run": "Run no.",
        "reviews.age": "Age",
        "reviews.band": "Probability",
        "reviews.apply": "Apply",
        "reviews.count": "{total} open with these filters",
        "reviews.empty": "No open reviews with these filters.",
        "review.title": "Review no. {id}",
        "review.field": "Field",
        "review.agreement": "Agreement",
        "review.same": "same",
        "review.differs": "differs",
        "review.missing": "missing",
        "review.evidence": "Model evidence",
        "review.link": "Same person (link)",
        "review.not_link": "Different people (do not link)",
        "review.defer": "Defer",
        "review.reason": "Reason (required)",
        "review.keys": "Keys: V link · N not link · D defer · M write reason · S next",
        "review.against": "against",
        "review.already": "Someone else already decided this review.",
        "review.back": "Back to the queue",
        "review.comparison": "Comparison",
        "review.decide": "Decision",
        "review.decided": "Already decided: {decision} by {by}.",
        "review.decision.link": "same person",
        "review.decision.not-link": "different people",
        "review.deferred": "Review no. {id} deferred: it stays open for later.",
        "review.evidence_intro": "Each comparison adds (towards being the same person) or takes away.",
        "review.for": "for",
        "review.level": "Level",
        "review.model": "Model {version}",
        "review.none_left": "No open reviews are left with these filters.",
        "review.reason_missing": "Write the reason for the decision.",
        "review.reverse": "Reverse the decision",
        "review.reversed": "Decision reversed on review no. {id}.",
        "review.saved": "Decision saved on review no. {id}.",
        "review.skip": "Skip to the next",
        "review.total": "Total weight {weight} · the model's probability before calibration {probability}",
        "review.score": "Calibrated probability",
        "review.weight": "Weight",
        "reviews.age.antigua": "Over 7 days",
        "reviews.age.any": "Any",
        "reviews.age.hoy": "Under a day",
        "reviews.age.semana": "1 to 7 days",
        "reviews.band.alta": "High (≥ 0.90)",
        "reviews.band.any": "Any",
        "reviews.band.baja": "Low (< 0.70)",
        "reviews.band.media": "Middle (0.70–0.90)",
        "reviews.col.age": "Queued since",
        "reviews.col.entidad": "Entidad",
        "reviews.col.id": "No.",
        "reviews.col.left": "Record A",
        "reviews.col.right": "Record B",
        "reviews.col.score": "Probability",
        "reviews.entidad": "Entidad",
        "reviews.next": "Next",
        "reviews.open": "Open",
        "reviews.prev": "Previous",
    },
)


def _filters(
    entidad: str | None, source: str | None, run: int | None, age: str | None, band: str | None
) -> tuple[review_queue.ReviewFilter, dict[str, str]]:
    entidad = (entidad or "").strip().upper()[:2] or None
    src: Literal["batch", "visit"] | None = (
        "batch" if source == "batch" else "visit" if source == "visit" else None
    )
    older, newer = review_view.AGE_FILTERS.get(age or "", (None, None))
    low, high = review_view.SCORE_BANDS.get(band or "", (None, None))
    criteria = review_queue.ReviewFilter(
        entidad=entidad,
        source=src,
        run_id=run,
        older_than_s=older,
        newer_than_s=newer,
        score_min=low,
        score_max=high,
    )
    kept = {
        "entidad": entidad or "",
        "source": src or "",
        "run": str(run or ""),
        "age": age or "",
        "band": band or "",
    }
    return criteria, {k: v for k, v in kept.items() if v}


def _flash(sess: web_session.WebSession, key: str, review_id: int) -> None:
    """A message for the next page (several may queue: a decision saved, then the queue is empty)."""
    queued = sess.get("flash")
    sess.set("flash", [*(queued if isinstance(queued, list) else []), [key, review_id]][-3:])


def _deferred(request: Request) -> frozenset[int]:
    found = web_session.load(request).get("deferred")
    return frozenset(i for i in found if isinstance(i, int)) if isinstance(found, list) else frozenset()


@router.get("/reviews")
async def queue(
    request: Request,
    session: SessionDep,
    person: Reviewer,
    entidad: Annotated[str | None, Query(max_length=2)] = None,
    source: Annotated[str | None, Query(pattern="^(batch|visit)?$")] = None,
    run: Annotated[str | None, Query(max_length=18, pattern=r"^\d*$")] = None,
    age: Annotated[str | None, Query(pattern="^(hoy|semana|antigua)?$")] = None,
    band: Annotated[str | None, Query(pattern="^(alta|media|baja)?$")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    criteria, kept = _filters(entidad, source, int(run) if run else None, age, band)
    items, total = await review_queue.filter_reviews(
        session, criteria=criteria, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    places = await review_queue.entidades_of(session, review_ids=[i.id for i in items])
    return render(
        request,
        "reviews.html",
        person=person,
        items=items,
        places=places,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        kept=kept,
        query=urlencode(kept),
        flash=web_session.load(request).pop("flash"),
        name_of=evidence_words.name_of,
    )


@router.get("/reviews/next")
async def next_review(
    request: Request,
    session: SessionDep,
    person: Reviewer,
    back: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The first open review of the queue's filters not deferred in this session."""
    from urllib.parse import parse_qs

    values = {k: v[0] for k, v in parse_qs(back or "").items()}
    run = values.get("run", "")
    criteria, kept = _filters(
        values.get("entidad"),
        values.get("source"),
        int(run) if run.isdigit() and len(run) < 18 else None,
        values.get("age"),
        values.get("band"),
    )
    found = await review_queue.next_open_after(session, criteria=criteria, skip=_deferred(request))
    if found is None:
        _flash(web_session.load(request), "review.none_left", 0)
        return RedirectResponse(f"/app/reviews?{urlencode(kept)}", status_code=303)
    return RedirectResponse(f"/app/reviews/{found}?{urlencode(kept)}", status_code=303)


@router.get("/reviews/{review_id}")
async def review(request: Request, session: SessionDep, person: Reviewer, review_id: DbId) -> Response:
    detail = await reviews.get_review(session, person.ctx, review_id=review_id)
    kept = {k: v for k, v in request.query_params.items() if k in ("entidad", "source", "run", "age", "band")}
    return _review_page(
        request, person, detail, query=urlencode(kept), flash=web_session.load(request).pop("flash")
    )


def _review_page(
    request: Request,
    person: Person,
    detail: Any,
    *,
    query: str,
    flash: Any = None,
    error_key: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "review.html",
        status_code=status_code,
        person=person,
        review=detail,
        rows=review_view.field_rows(detail.left_record.fields, detail.right_record.fields),
        evidence=review_view.evidence_rows(detail.evidence),
        probability=review_view.probability_of(detail.match_weight),
        name_of=evidence_words.name_of,
        query=query,
        flash=flash,
        error_key=error_key,
    )


@router.post("/reviews/{review_id}/decision")
async def decide(
    request: Request,
    session: SessionDep,
    person: Reviewer,
    review_id: DbId,
    decision: Annotated[str, Form(pattern="^(link|not-link|defer)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    sess = web_session.load(request)
    if not reason.strip():
        detail = await reviews.get_review(session, person.ctx, review_id=review_id)
        return _review_page(
            request, person, detail, query=back, error_key="review.reason_missing", status_code=422
        )
    if decision == "defer":
        deferred = sorted(_deferred(request) | {review_id})[-_MAX_DEFERRED:]
        sess.set("deferred", deferred)
        await audit_service.record(
            session,
            person.ctx,
            action="E",
            subtype="decision",
            entities=[AuditEntity(type="MatchReview", id=str(review_id))],
            query="defer",
        )
        _flash(sess, "review.deferred", review_id)
    else:
        try:
            await reviews.decide_review(
                session, person.ctx, review_id=review_id, decision=decision, reason=reason.strip()
            )
        except ReviewAlreadyDecided:
            _flash(sess, "review.already", review_id)
            return RedirectResponse(f"/app/reviews/{review_id}", status_code=303)
        _flash(sess, "review.saved", review_id)
    return RedirectResponse(f"/app/reviews/next?{urlencode({'back': back})}", status_code=303)


@router.post("/reviews/{review_id}/reversal")
async def reverse(
    request: Request,
    session: SessionDep,
    person: Reviewer,
    review_id: DbId,
    reason: Annotated[str, Form(max_length=2000)] = "",
    decision: Annotated[str, Form(pattern="^(link|not-link)?$")] = "",
) -> Response:
    """Reverse a decided review through the API's own function. The form names the decision the page
    showed, so a second click (or a resent form) does not reverse it back."""
    try:
        await reviews.reverse_decision(
            session, person.ctx, review_id=review_id, reason=reason.strip(), expected=decision or None
        )
    except ReviewAlreadyDecided:
        _flash(web_session.load(request), "review.already", review_id)
        return RedirectResponse(f"/app/reviews/{review_id}", status_code=303)
    _flash(web_session.load(request), "review.reversed", review_id)
    return RedirectResponse(f"/app/reviews/{review_id}", status_code=303)
