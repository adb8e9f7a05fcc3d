"""The review queue pages over real HTTP: filters, the side-by-side view (audited as the person), a
decision flowing exactly as through /v1/match-reviews, defer, refusals."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.conftest import MakeUser, csrf_of, seed_reviews, sign_in


def _listed(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/app/reviews/(\d+)', html)]


async def test_filters_narrow_the_queue(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    await make_user("rev1", "reviewer")
    await sign_in(client, "rev1")
    everything = await client.get("/app/reviews")
    assert everything.status_code == 200
    # The visit a referral waits on comes first, then by score (the API's order).
    assert _listed(everything.text) == [ids["visit"], ids["likely"], ids["old"], ids["unlikely"]]
    assert _listed((await client.get("/app/reviews?source=visit")).text) == [ids["visit"]]
    assert ids["visit"] not in _listed((await client.get("/app/reviews?source=batch")).text)
    assert _listed((await client.get("/app/reviews?band=alta")).text) == [ids["likely"]]
    assert _listed((await client.get("/app/reviews?band=baja")).text) == [ids["unlikely"]]
    assert _listed((await client.get("/app/reviews?age=antigua")).text) == [ids["old"]]
    assert ids["old"] not in _listed((await client.get("/app/reviews?age=hoy")).text)
    assert _listed((await client.get("/app/reviews?entidad=ZS")).text) == [ids["visit"]]
    bad = await client.get("/app/reviews?band=enorme")
    assert bad.status_code == 422
    assert "<html" in bad.text  # a page, not API JSON


async def test_a_review_end_to_end_as_through_the_api(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    await make_user("rev2", "reviewer")
    await sign_in(client, "rev2")
    page = await client.get(f"/app/reviews/{ids['likely']}")
    assert page.status_code == 200
    assert "igual" in page.text  # per-field agreement
    assert "+6.10" in page.text
    assert "-4.20" in page.text
    read = (
        await session.execute(
            text("SELECT client_id, user_id FROM audit_record WHERE subtype = 'read' AND entities LIKE :e"),
            {"e": f'%"{ids["likely"]}"%'},
        )
    ).all()
    assert ("interop-web", "rev2") in [tuple(r) for r in read]
    missing_reason = await client.post(
        f"/app/reviews/{ids['likely']}/decision",
        data={"decision": "link", "reason": "  ", "csrf_token": csrf_of(page.text)},
    )
    assert missing_reason.status_code == 422
    decided = await client.post(
        f"/app/reviews/{ids['likely']}/decision",
        data={
            "decision": "link",
            "reason": "misma CURP en papel",
            "csrf_token": csrf_of(page.text),
            "back": "",
        },
    )
    assert decided.status_code == 303
    follow = await client.get(decided.headers["location"])
    assert follow.status_code == 303  # to the next open review
    assert follow.headers["location"].startswith(f"/app/reviews/{ids['visit']}")
    review = (
        await session.execute(
            text("SELECT status, decision, decided_by, reason FROM match_review WHERE id = :i"),
            {"i": ids["likely"]},
        )
    ).one()
    assert tuple(review) == ("decided", "link", "rev2", "misma CURP en papel")
    link = (
        await session.execute(
            text(
                "SELECT l.state, l.origin, l.decided_by FROM match_link l JOIN match_review r "
                "ON l.source = r.left_source AND l.record_id = r.left_record_id WHERE r.id = :i"
            ),
            {"i": ids["likely"]},
        )
    ).one()
    assert tuple(link) == ("MATCH", "MANUAL", "rev2")
    event = (
        await session.execute(
            text("SELECT client_id, user_id FROM audit_record WHERE subtype = 'decision' AND action = 'U'")
        )
    ).all()
    assert [tuple(e) for e in event] == [("interop-web", "rev2")]
    again = await client.post(
        f"/app/reviews/{ids['likely']}/decision",
        data={"decision": "not-link", "reason": "otra vez", "csrf_token": csrf_of(page.text)},
    )
    assert again.status_code == 303  # already decided: nothing changes
    assert (
        await session.execute(text("SELECT decision FROM match_review WHERE id = :i"), {"i": ids["likely"]})
    ).scalar_one() == "link"


async def test_defer_keeps_the_review_open_and_moves_on(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    await make_user("rev3", "reviewer")
    await sign_in(client, "rev3")
    page = await client.get(f"/app/reviews/{ids['visit']}")
    deferred = await client.post(
        f"/app/reviews/{ids['visit']}/decision",
        data={"decision": "defer", "reason": "falta el expediente", "csrf_token": csrf_of(page.text)},
    )
    nxt = await client.get(deferred.headers["location"])
    assert nxt.headers["location"].startswith(f"/app/reviews/{ids['likely']}")
    status = (
        await session.execute(text("SELECT status FROM match_review WHERE id = :i"), {"i": ids["visit"]})
    ).scalar_one()
    assert status == "open"


async def test_other_roles_and_strangers_cannot_open_or_decide(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    anonymous = await client.get(f"/app/reviews/{ids['likely']}")
    assert anonymous.status_code == 303
    await make_user("gestor", "manager", entidades=["OC"])
    await sign_in(client, "gestor")
    assert (await client.get("/app/reviews")).status_code == 403
    assert (await client.get(f"/app/reviews/{ids['likely']}")).status_code == 403
    home = await client.get("/app/")
    refused = await client.post(
        f"/app/reviews/{ids['likely']}/decision",
        data={"decision": "link", "reason": "x", "csrf_token": csrf_of(home.text)},
    )
    assert refused.status_code == 403
    assert (
        await session.execute(text("SELECT status FROM match_review WHERE id = :i"), {"i": ids["likely"]})
    ).scalar_one() == "open"
    reads = (
        await session.execute(text("SELECT count(*) FROM audit_record WHERE subtype = 'read'"))
    ).scalar_one()
    assert reads == 0


async def test_a_decided_review_is_reversed_from_its_page(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    await make_user("rev7", "reviewer")
    await sign_in(client, "rev7")
    page = await client.get(f"/app/reviews/{ids['old']}")
    await client.post(
        f"/app/reviews/{ids['old']}/decision",
        data={"decision": "link", "reason": "misma persona", "csrf_token": csrf_of(page.text)},
    )
    decided = await client.get(f"/app/reviews/{ids['old']}")
    reversal = await client.post(
        f"/app/reviews/{ids['old']}/reversal",
        data={"reason": "error de captura", "csrf_token": csrf_of(page.text)},
    )
    decision = (
        await session.execute(text("SELECT decision FROM match_review WHERE id = :i"), {"i": ids["old"]})
    ).scalar_one()
    assert "Revertir la decisión" in decided.text
    assert reversal.status_code == 303
    assert decision == "not-link"


async def test_the_evidence_is_in_the_readers_words_not_the_models_identifiers(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    """Comparisons, levels, fields and sources are identifiers in the trained settings and the CSV; the
    page shows them in the person's language (the page showed ``given``, ``all exact``, ``roll``)."""
    ids = await seed_reviews(session)
    await make_user("rev8", "reviewer")
    await sign_in(client, "rev8")
    spanish = (await client.get(f"/app/reviews/{ids['likely']}")).text
    for words in ("Nombre(s)", "todos idénticos", "Fecha de nacimiento", "no coincide", "Primer apellido"):
        assert words in spanish, words
    for identifier in (">given<", ">all exact<", ">birth_date<", ">else<", ">primer_apellido<"):
        assert identifier not in spanish, identifier
    assert "Padrón · R0" in spanish
    queue = (await client.get("/app/reviews")).text
    assert "Visita · V-1" in queue
    assert "visit · V-1" not in queue
    assert "Probabilidad calibrada" in spanish
    assert "probabilidad del modelo antes de calibrar 0.789" in spanish
    english = (await client.get(f"/app/reviews/{ids['likely']}", headers={"accept-language": "en"})).text
    assert "Given names" in english
    assert "all exact" in english
    assert "Pension roll" in english
