"""The foreign keys a first load re-adds after its COPYs (``store._first_load``), each checked over the
whole table in one statement.

PostgreSQL validates a foreign key of a partitioned table partition by partition: one anti-join per
partition (35 for the links, 35 for the detail), and each of the links' scans every person again — at
1 M people, 35 scans of a million persons, where the table needs one. So on PostgreSQL 18 (the first to
take ``NOT VALID`` on a partitioned table's foreign key) the key is added ``NOT VALID`` — enforced from
then on for every row written, like any key — and this module checks the rows already there in one
anti-join of the whole table against the referenced one. The caller holds both tables exclusively (the
``ALTER TABLE``), so nothing is written between the check and the commit.

The key stays marked not validated in ``pg_constraint`` (``convalidated``): PostgreSQL cannot be told
that a check it did not run passed. Every row is nevertheless checked: a violating row makes this
module ask PostgreSQL to validate the key after all, which fails with PostgreSQL's own error (the
constraint, the table and the missing key), and the run's transaction rolls back everything it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ForeignKeyConstraint, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import AddConstraint

# The first PostgreSQL that adds a partitioned table's foreign key ``NOT VALID``.
NOT_VALID_ON_PARTITIONS = 180000


def violation_sql(fk: ForeignKeyConstraint) -> str:
    """How many rows of ``fk``'s table have a key the referenced table does not hold (MATCH SIMPLE: a
    row with a null in its key is not checked, as PostgreSQL does not). A count, not ``LIMIT 1`` or
    ``EXISTS``: those ask the planner for the first row fast, and expecting to find one early it
    probes the referenced table's index once per row (at 1 M, 1.9 M probes) where one hash anti-join
    reads each table once."""
    table = fk.parent.name
    referred = fk.referred_table.name
    pairs = [(element.parent.name, element.column.name) for element in fk.elements]
    not_null = " AND ".join(f"f.{mine} IS NOT NULL" for mine, _ in pairs)
    same = " AND ".join(f"r.{theirs} = f.{mine}" for mine, theirs in pairs)
    missing = f"NOT EXISTS (SELECT 1 FROM {referred} r WHERE {same})"
    return f"SELECT count(*) FROM {table} f WHERE {not_null} AND {missing}"


async def add_checked(session: AsyncSession, fks: Sequence[ForeignKeyConstraint]) -> None:
    """Add each key back, its existing rows checked in one statement (module docstring)."""
    version = int((await session.execute(text("SHOW server_version_num"))).scalar_one())
    if version < NOT_VALID_ON_PARTITIONS:
        for fk in fks:
            await session.execute(AddConstraint(fk))
        return
    # The referenced keys hashed in memory (1.86 M key rows at 1 M people), as PostgreSQL's own check has:
    # it runs with ``maintenance_work_mem`` as its ``work_mem``.
    before = (await session.execute(text("SHOW work_mem"))).scalar_one()
    memory = (await session.execute(text("SHOW maintenance_work_mem"))).scalar_one()
    await session.execute(text("SELECT set_config('work_mem', :memory, true)"), {"memory": memory})
    for fk in fks:
        ddl = str(AddConstraint(fk).compile(dialect=session.get_bind().dialect))
        await session.execute(text(f"{ddl} NOT VALID"))
        if (await session.execute(text(violation_sql(fk)))).scalar_one():
            # PostgreSQL's own validation fails on that row, with its error and its words.
            await session.execute(text(f"ALTER TABLE {fk.parent.name} VALIDATE CONSTRAINT {fk.name}"))
    # Back to what the transaction had, for its remaining statements (a RESET would drop a setting the
    # caller made for its session).
    await session.execute(text("SELECT set_config('work_mem', :before, true)"), {"before": before})
