"""The ``$match`` candidate query and its details' read are planned once per connection, not on every call
(docs/scale.md: custom plans of its 22 lookups cost more than reading them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.config import Settings
from interop.matching import service
from interop.matching.features import FEATURE_COLUMNS
from interop.matching.online import probe_features
from interop.matching.record_columns import DETAIL_COLUMNS
from interop.matching.schemas import IdentityProbe

# The stored features the key table holds (record_columns: the rest is the detail's).
KEY_COLUMNS = [c for c in FEATURE_COLUMNS if c not in (*DETAIL_COLUMNS, "unique_id", "source", "record_id")]


async def test_candidate_query_runs_a_generic_plan_and_leaves_the_setting_as_it_was(
    settings: Settings, session: AsyncSession
) -> None:
    probe = IdentityProbe(
        given_names="MARIA GUADALUPE",
        paternal_surname="HERNANDEZ",
        maternal_surname="LOPEZ",
        birth_date=date(1950, 4, 2),
        sex="M",
        entidad="DF",
        curp="HELM500402MDFRPR05",
    )
    # One stored record with the probe's own keys, so that a detail is read too.
    stored = {c: getattr(probe_features(probe), c) for c in KEY_COLUMNS}
    await session.execute(
        text(
            f"INSERT INTO match_record (source, record_id, feature_digest, {', '.join(stored)}) "
            f"VALUES ('roll', 'R1', 'd', {', '.join(':' + c for c in stored)})"
        ),
        stored,
    )
    await session.execute(
        text("INSERT INTO match_record_detail (pkey, source, record_id) VALUES ('DF', 'roll', 'R1')")
    )
    before = (await session.execute(text("SHOW plan_cache_mode"))).scalar_one()
    for _ in range(7):  # PostgreSQL's own choice makes the first five custom plans at least
        await service.match_online(session, probe=probe, settings=settings)
    plans = (
        await session.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%FROM match_record m JOIN (%' "
                "AND statement NOT LIKE '%pg_prepared_statements%'"  # this query itself
            )
        )
    ).all()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert (generic, custom) == (7, 0)
    # The candidates' details too: pruned to their partitions when the executor starts, so the plan
    # planned once serves every call.
    details = (
        await session.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%FROM match_record_detail WHERE pkey IN%' "
                "AND statement NOT LIKE '%pg_prepared_statements%'"
            )
        )
    ).all()
    assert [tuple(d) for d in details] == [(7, 0)]
    # The caller's later statements plan as before: reset by the detail read, or on its own when there
    # was nothing to read.
    assert (await session.execute(text("SHOW plan_cache_mode"))).scalar_one() == before
    nobody = probe.model_copy(
        update={
            "curp": None,
            "given_names": "NADIE",
            "paternal_surname": "NINGUNO",
            "birth_date": date(1901, 1, 1),
        }
    )
    assert await service.match_online(session, probe=nobody, settings=settings) == []
    assert (await session.execute(text("SHOW plan_cache_mode"))).scalar_one() == before
