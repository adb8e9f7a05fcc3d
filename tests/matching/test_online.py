"""The online match function (the visit path) and visit reviews, against a real index."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import load_population, make_people

from interop.config import Settings
from interop.context import system_context
from interop.job.worker import Worker
from interop.matching import reviews, service
from interop.matching.schemas import IdentityProbe


async def test_match_online_finds_the_person_and_queues_visit_reviews(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    people = make_people(250)
    await load_population(session, people)
    ctx = system_context(request_id="r", trace_id="0" * 32)
    assert await service.match_online(session, probe=IdentityProbe(given_names="X"), settings=settings) == []
    run = await service.start_run(session, ctx)
    await session.commit()
    assert run.job_id is not None
    assert await Worker(settings, sessionmaker).run_until_done(run.job_id) == "succeeded"

    p = people[10]
    probe = IdentityProbe(
        given_names=p.nombre,
        paternal_surname=p.primer_apellido,
        maternal_surname=p.segundo_apellido,
        birth_date=p.fecha_nacimiento,
        sex=p.sexo,
        entidad=p.entidad,
        municipio=p.municipio,
        localidad=p.localidad,
        domicilio=p.domicilio,
    )
    cands = await service.match_online(session, probe=probe, limit=5, settings=settings)
    assert cands
    best = cands[0]
    person = (
        await session.execute(
            text("SELECT person_id FROM match_record WHERE source = 'roll' AND record_id = :r"),
            {"r": f"R{p.key}"},
        )
    ).scalar_one()
    assert best.person_id == person
    assert best.grade == "certain"
    assert best.probability >= settings.match_auto_threshold
    assert {e.comparison for e in best.evidence} >= {"given", "paternal", "birth_date"}
    assert [c.match_weight for c in cands] == sorted((c.match_weight for c in cands), reverse=True)
    # Surnames in the other order and no birth date: only the swapped-surnames rule finds the person.
    swapped = probe.model_copy(
        update={
            "paternal_surname": p.segundo_apellido,
            "maternal_surname": p.primer_apellido,
            "birth_date": None,
        }
    )
    assert person in {
        c.person_id for c in await service.match_online(session, probe=swapped, settings=settings)
    }

    # A visit whose identity is uncertain goes to the review queue; linking it attaches it to the person.
    provisional = uuid.uuid4()
    ids = await service.queue_visit_review(
        session, ctx, provisional_patient_id=provisional, probe=probe, candidates=cands[:1]
    )
    again = await service.queue_visit_review(
        session, ctx, provisional_patient_id=provisional, probe=probe, candidates=cands[:1]
    )
    assert ids == again
    detail = await reviews.get_review(session, ctx, review_id=ids[0])
    assert detail.left_record.source == "visit"
    assert detail.left_record.fields["nombre"] == p.nombre
    assert detail.evidence
    await reviews.decide_review(session, ctx, review_id=ids[0], decision="link", reason="same person at home")
    await session.commit()
    linked = (
        await session.execute(
            text(
                "SELECT person_id, origin FROM match_link "
                "WHERE source = 'visit' AND record_id = :r AND state = 'MATCH'"
            ),
            {"r": str(provisional)},
        )
    ).one()
    assert linked == (person, "MANUAL")
    units = await service.registry_units_of(session, person_id=person)
    assert units in ([], ["DFIMB000001"])


async def test_every_candidate_lookup_is_served_by_its_blocking_index(session: AsyncSession) -> None:
    """The lookups must compute the very expression each blocking index holds; a lookup that missed it
    would scan the whole index table on every visit and ``$match`` (the plan is read with sequential
    scans priced out, so any scan left is a lookup no index serves)."""
    from interop.matching.blocking import BLOCKING_RULES, index_for
    from interop.matching.features import MatchFeatures
    from interop.matching.online import candidate_query

    probe = MatchFeatures(
        "roll|R1",
        "roll",
        "R1",
        "GOMM500101HDFRRR09",
        "GOMM500101HDFRRR",
        "GOMM500101HDFRRR",
        "MARIO",
        "MARIO",
        None,
        "GOMEZ",
        "MARTINEZ",
        "MR",
        "GMS",
        "MRTNS",
        "1950-01-01",
        "1950",
        "01-01",
        "H",
        "09",
        "015",
        "0001",
        "CALLE 1",
    )
    sql, params = candidate_query(probe)
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in (await session.execute(text(f"EXPLAIN {sql}"), params)).all())
    expected = {
        index_for([stored for _, stored in pairs], rule.stored_missing)[0]
        for rule in BLOCKING_RULES
        for pairs in (rule.pairs, tuple((b, a) for a, b in rule.pairs))
    }
    lookups = plan.count("Index Scan using ix_match_record_") + plan.count("Bitmap Index Scan on ix_match")
    assert "Seq Scan on match_record" not in plan, plan
    assert {name for name in expected if name in plan} == expected, plan
    assert lookups >= len(expected)


async def test_candidate_records_are_read_through_the_indexes_of_current_records(
    session: AsyncSession,
) -> None:
    """``$match`` reads each candidate's record per source by its record id, which the key table's
    primary key serves (then one partition per record); a filter on an expression of source and record
    id scanned both tables."""
    sql, params = service.candidate_records_query(
        [("roll", "R1"), ("patients", "P1"), ("roll", "R2"), ("patients", "P2")]
    )
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in (await session.execute(text(f"EXPLAIN {sql}"), params)).all())
    assert "Seq Scan" not in plan, plan
    assert "pk_roll_record_key" in plan, plan
    assert "pk_registry_patient_key" in plan, plan
    assert await service.read_candidate_records(session, keys=[("roll", "nobody")]) == {}
