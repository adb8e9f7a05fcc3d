"""After a bulk run's commit, what it filled left ready for ``$match`` (``vacuum_written``): the run's
own VACUUM of the tables ``$match`` reads row by row, timed as the run's ``vacuuming`` stage."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# What ``$match`` reads row by row of what a bulk write filled, and what ``vacuum_written`` asks of it.
# The key table: vacuumed (its pages are all-visible already, COPY FREEZE: cheap) and analysed (its
# in-transaction ANALYZE counts for nothing once the commit counts its rows). The detail and the links,
# every partition: vacuumed only. Analysing their 68 partitions doubled the step at 1 M (14 s, against
# ~9 s of room under the 1 M ratio), and no read depends on their statistics (``record_columns``); their
# analysis is left to autovacuum. The persons and reviews $match does not read: the app does not own
# them either (a VACUUM would skip them with a warning).
VACUUMED_AFTER_BULK = {
    "match_record": "VACUUM (ANALYZE)",
    "match_record_detail": "VACUUM",
    "match_link": "VACUUM",
}
_SNAPSHOT_WAIT_S = 5.0
# Other sessions of this database holding a snapshot of a transaction begun before ``:since``.
_OLDER_SNAPSHOTS = text(
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND backend_xmin IS NOT NULL "
    "AND xact_start < :since)"
)


async def vacuum_written(session: AsyncSession) -> dict[str, float]:
    """VACUUM each table of a bulk write ``$match`` reads (``VACUUMED_AFTER_BULK``), after its commit;
    seconds per table.

    ``$match`` reads what the run wrote right after it: left as written, its first minutes paid for the
    run twice over — every row read for the first time set its hint bits (and dirtied its page), the
    detail and link partitions were read from the table instead of their visibility map, and autovacuum,
    finding every table changed at the commit (an ANALYZE inside the run's transaction counts for
    nothing: its rows count as changes only at the commit), vacuumed and analysed them all beside the
    calls (at 1 M, p99 34 ms the first run against 18-20 ms later; bench/match/RESULTS.md, session 15).
    Done here, once, in the run's time: the tables are left all-visible, so autovacuum finds nothing
    to vacuum there (it still analyses the partitions). VACUUM runs outside a transaction, so on a
    connection of its own in autocommit.
    On a server that commits asynchronously (not ours: ``db.embedded.DURABILITY``) a page whose rows'
    commit status shares a not yet flushed commit record's log position is not marked, and is left to
    autovacuum."""
    conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    started = time.perf_counter()
    since = (await conn.execute(text("SELECT statement_timestamp()"))).scalar_one()  # after the commit
    # A page is marked all-visible only when no snapshot still open may miss its rows: a call that began
    # before the run's commit (a $match, the job's heartbeat) would leave its pages to autovacuum again.
    # Those last milliseconds; a snapshot held longer is not waited for past the limit.
    for _ in range(int(_SNAPSHOT_WAIT_S / 0.05)):
        if not (await conn.execute(_OLDER_SNAPSHOTS, {"since": since})).scalar_one():
            break
        await asyncio.sleep(0.05)
    timings = {"older snapshots": round(time.perf_counter() - started, 2)}
    for table, command in VACUUMED_AFTER_BULK.items():
        started = time.perf_counter()
        await conn.execute(text(f"{command} {table}"))
        timings[table] = round(time.perf_counter() - started, 2)
    return timings
