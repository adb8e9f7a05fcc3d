"""The ``$match`` candidate query is planned once per connection, not on every call (docs/scale.md: custom
plans of its 22 lookups cost more than reading them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.config import Settings
from interop.matching import service
from interop.matching.schemas import IdentityProbe


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
    # The caller's later statements plan as before.
    assert (await session.execute(text("SHOW plan_cache_mode"))).scalar_one() == before
