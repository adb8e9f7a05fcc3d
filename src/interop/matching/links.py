"""Where a record's links live, and the link reads and writes that name it (migration 0025).

``match_link`` is LIST-partitioned by its record's partition key: the ``pkey`` of the record's key row
in ``match_record``, ``'00'`` for a record that has none (a visit's provisional patient). All the links
of one record are in that one partition, which is what makes each partition's unique indexes (one link
per record and person, one MATCH per record) hold for the whole table. Writers keep it so by taking the
record's key row before writing its links (``lock_records`` here; a batch run's upsert updates the row,
and moves the links of a record whose entidad changed in the same transaction: ``store``). Readers name
the partition: by record from its key row, by person through ``match_record.person_id`` (the person of
each record's MATCH link), the global person → record index the links need.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

NO_KEY_ROW = "00"  # the partition of the links of a record the feature store does not hold

# The key rows of the records, locked in key order (two reviews that share records lock them in the
# same order, so they wait for each other instead of deadlocking). ``NO KEY UPDATE`` is the lock a
# run's upsert of the row takes: one waits for the other, so a link is never written into the
# partition a concurrent run is moving the record out of.
_LOCK_SQL = (
    "SELECT source, record_id, pkey FROM match_record WHERE (source, record_id) IN ({pairs}) "
    "ORDER BY source, record_id FOR NO KEY UPDATE"
)

# The person of a record's MATCH link: one index read in the record's partition.
PERSON_OF_SQL = text(
    "SELECT person_id FROM match_link "
    "WHERE pkey = :pkey AND source = :source AND record_id = :record_id AND state = 'MATCH'"
)


async def lock_records(
    session: AsyncSession, records: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """Each record's link partition, its key row (if any) locked until the transaction ends."""
    wanted = sorted(set(records))
    pairs = ", ".join(f"(:s{i}, :r{i})" for i in range(len(wanted)))
    params = {f"{k}{i}": v for i, (s, r) in enumerate(wanted) for k, v in (("s", s), ("r", r))}
    rows = await session.execute(text(_LOCK_SQL.format(pairs=pairs)), params)
    found = {(s, r): str(p) for s, r, p in rows.all()}
    return {record: found.get(record, NO_KEY_ROW) for record in wanted}


async def person_of(session: AsyncSession, pkey: str, source: str, record_id: str) -> uuid.UUID | None:
    """The person of the record's MATCH link, if it has one."""
    row = await session.execute(PERSON_OF_SQL, {"pkey": pkey, "source": source, "record_id": record_id})
    found: uuid.UUID | None = row.scalar_one_or_none()
    return found


async def clear(
    session: AsyncSession, pkey: str, source: str, record_id: str, *, person: uuid.UUID | None
) -> None:
    """Remove the record's link to ``person``, or with ``person=None`` its MATCH link."""
    which = "state = 'MATCH'" if person is None else "person_id = :person"
    await session.execute(
        text(
            "DELETE FROM match_link WHERE pkey = :pkey AND source = :source AND record_id = :record_id "
            f"AND {which}"
        ),
        {"pkey": pkey, "source": source, "record_id": record_id, "person": person},
    )
