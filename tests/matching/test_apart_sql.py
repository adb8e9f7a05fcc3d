"""The pairs a rule settles as two people, told where the pairs are scored (``edge_columns.apart_sql``,
a column of ``edge``), are the pairs the assigning step found by joining every pair to both its records again
(``conflict.settled_apart_sql`` over the two records) — on a generated population with roll records
under another settled CURP, relatives' birth dates, swapped days and months, slips and missing fields."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from tests.matching.test_names_triples import feats_and_surname_pairs
from tests.matching.test_pure import _features

from interop.matching.conflict import (
    names_settle_apart,
    names_settle_apart_sql,
    settled_apart,
    settled_apart_sql,
)
from interop.matching.edge_columns import apart_sql
from interop.matching.features import MatchFeatures


def _dob(rnd: random.Random, dob: str) -> str | None:
    """Another birth date for the same person or a relative: years apart, the day and month swapped,
    a digit slipped, a year's slip, or none."""
    y, m, d = dob.split("-")
    return rnd.choice(
        [
            f"{int(y) - rnd.choice([1, 2, 25, 30]):04d}-{m}-{d}",
            f"{y}-{d}-{m}" if int(d) <= 12 else dob,
            f"{y}-{m}-{min(28, int(d) + 1):02d}",
            f"{y[:3]}{(int(y[3]) + 3) % 10}-{m}-{d}",
            None,
        ]
    )


def _population(seed: int) -> list[MatchFeatures]:
    rnd = random.Random(seed)
    people = _features(people_seed=seed + 3)[:400]
    extra = []
    for i, f in enumerate(people[:160]):
        dob = _dob(rnd, f.dob) if f.dob else None
        curp = f.curp
        if curp and rnd.random() < 0.5:  # another homoclave: the same birth date, another person
            curp = curp[:16] + rnd.choice("ABC") + curp[17:]
        extra.append(
            replace(
                f,
                unique_id=f"roll|x{i}" if i % 2 else f"patients|x{i}",
                record_id=f"x{i}",
                source="roll" if i % 2 else "patients",
                curp=None if rnd.random() < 0.1 else curp,
                dob=dob if rnd.random() < 0.7 else f.dob,
            )
        )
    return people + extra


@pytest.mark.parametrize("seed", range(3))
def test_the_scored_pairs_settled_apart_are_the_old_querys(seed: int) -> None:
    rnd = random.Random(seed)
    people = _population(seed)
    feats = {f.unique_id: f for f in people}
    con, surname_pairs = feats_and_surname_pairs(people, rnd, 0.8)
    pairs = sorted(surname_pairs)
    con.execute("CREATE TABLE edge (l VARCHAR, r VARCHAR)")
    con.executemany("INSERT INTO edge VALUES (?, ?)", [list(p) for p in pairs])
    join = "FROM edge e JOIN feats a ON a.unique_id = e.l JOIN feats b ON b.unique_id = e.r"
    for dates in (True, False):
        old = set(
            con.execute(f"SELECT e.l, e.r {join} WHERE {settled_apart_sql('a', 'b', dates=dates)}").fetchall()
        )
        new = con.execute(f"SELECT e.l, e.r, {apart_sql(dates=dates)} {join}").fetchall()
        assert all(apart is not None for _, _, apart in new)  # a column, never null
        assert {(left, right) for left, right, apart in new if apart} == old
        # Given names with nothing in common (``names_settle_apart``) are told by the assigning step
        # (``edge_name_rules.settle_names_apart``): the pairs its SQL keeps, checked in Python.
        named = set(
            con.execute(f"SELECT e.l, e.r {join} WHERE {names_settle_apart_sql('a', 'b')}").fetchall()
        )
        named = {(x, y) for x, y in named if dates and names_settle_apart(feats[x], feats[y])}
        # The rule as Python says it, so that the population shows every way of being apart.
        assert old | named == {
            (left, right)
            for left, right in pairs
            if settled_apart(feats[left], feats[right], relatives=dates, households=dates)
        }
    kept = {(x, y) for x, y in pairs if settled_apart(feats[x], feats[y], relatives=False, households=False)}
    dated = {(x, y) for x, y in pairs if settled_apart(feats[x], feats[y])} - kept
    named = {(x, y) for x, y in pairs if names_settle_apart(feats[x], feats[y])}
    # Every rule holds some pair, or the test says nothing.
    assert kept
    assert dated
    assert named
