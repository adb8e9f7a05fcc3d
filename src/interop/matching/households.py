"""Whether the records show households: relatives under one roof, the look-alikes the rules for relatives
exist for. Read from the data itself, at training, on DuckDB.

The rules that tell relatives apart (unrelated given names or birth dates years apart as a hard
conflict, an anchor for every automatic link, a capped weight for a shared address or place) stand on
two kinds of evidence: fields that tell relatives apart (a CURP, a sex: ``layout.tells_relatives``),
and a population that holds relatives at all. Mexican records hold both: a roof is shared by parents,
children and siblings with one surname. A source whose records carry neither a CURP nor a sex may
still hold households (the Mexican padrón with those columns blank) — or none: one record per person
and their copies (FEBRL's layout). The data says which: among pairs of records with the same first
surname at the same address, the share the rules prove to be two people without any rule for
relatives (birth dates years apart that no clerk's slip explains, and given names that are not a slip
of each other). Households make that share large (a parent and a child); copies of one person make it
small (a copy whose name *and* date were both replaced).
"""

from __future__ import annotations

import duckdb

from interop.matching.conflict import Signature, two_people_without_relatives

# Provably two people in at most this share of same-surname, same-address pairs: no households to
# guard against. One in a hundred is the error the default automatic-link threshold (p >= 0.99)
# already accepts: below it the rules for relatives would guard against less than that.
HOUSEHOLD_SHARE = 0.01
# Pairs read at most (a sample); enough to tell one in a hundred from none.
MAX_PAIRS = 200_000

_COLUMNS = ("curp", "dob", "given_main", "given_rest", "given_full", "sexo", "source", "ap1")


def household_share(con: duckdb.DuckDBPyConnection, table: str) -> tuple[float, int]:
    """Among pairs of ``table``'s records with the same first surname and address (domicilio, and
    municipio when both have one), the share proved two people without the rules for relatives, and
    the number of pairs read."""
    cols = ", ".join(f"a.{c}, b.{c}" for c in _COLUMNS)
    rows = con.execute(
        f"SELECT {cols} FROM {table} a JOIN {table} b ON a.ap1 = b.ap1 AND a.domicilio = b.domicilio "
        "AND a.unique_id < b.unique_id AND coalesce(a.municipio = b.municipio, true) "
        f"USING SAMPLE reservoir({MAX_PAIRS} ROWS) REPEATABLE (7)"
    ).fetchall()
    if not rows:
        return 0.0, 0
    n = len(_COLUMNS)
    proved = sum(
        1
        for r in rows
        if two_people_without_relatives(Signature(*r[0 : 2 * n : 2]), Signature(*r[1 : 2 * n : 2]))
    )
    return proved / len(rows), len(rows)


def shows_households(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table``'s records hold households (``HOUSEHOLD_SHARE``); with no pair of records at one
    address under one surname to judge by, the rules for relatives stand."""
    share, pairs = household_share(con, table)
    return pairs == 0 or share >= HOUSEHOLD_SHARE
