"""The batch asks its costly rules over every scored pair (``batch.predict``'s ``edge``) behind a cheap
condition (``pair_guards``): the same value on every pair as the rule's SQL twin alone, and the rule not
worked out at all on a pair that cannot meet the condition (DuckDB evaluates every operand of an AND in
a projection: at 1 M the look-alike rule's addresses cost ~10 s of CPU that way)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import duckdb
import pytest
from tests.matching.test_apart_sql import _population
from tests.matching.test_names_triples import feats_and_surname_pairs

from interop.matching import batch, conflict, lookalike
from interop.matching.conflict import names_settle_apart_sql, settled_apart_sql
from interop.matching.edge_columns import apart_sql
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures
from interop.matching.lookalike import (
    date_anchors_nothing_sql,
    relatives_lookalike_sql,
    years_apart_unconfirmed_sql,
)
from interop.matching.pair_guards import named_sql


def _relatives(people: list[MatchFeatures], rnd: random.Random) -> list[MatchFeatures]:
    """For some records a namesake relative: the same names and day and month, another year, the
    address written otherwise (CALLE added, the colonia left out) or another second surname's slip."""
    out = []
    for i, f in enumerate(people[:120]):
        if f.dob is None:
            continue
        year = int(f.dob[:4]) - rnd.choice([1, 10, 25])
        dom = rnd.choice([f.domicilio, f"CALLE {f.domicilio}", (f.domicilio or "").split(" ")[0], None])
        out.append(
            replace(
                f,
                unique_id=f"patients|k{i}",
                record_id=f"k{i}",
                source="patients",
                dob=f"{year:04d}{f.dob[4:]}",
                curp=None,
                domicilio=dom,
                ap2=f.ap2 if rnd.random() < 0.7 else (f.ap2 or "X")[:-1] + "Z",
            )
        )
    return out


@pytest.mark.parametrize("seed", range(3))
def test_the_guarded_rules_give_the_rules_values_on_every_pair(seed: int) -> None:
    rnd = random.Random(seed)
    people = _population(seed)
    people += _relatives(people, rnd)
    con, surname_pairs = feats_and_surname_pairs(people, rnd, 0.8)
    con.execute("CREATE TABLE edge (l VARCHAR, r VARCHAR)")
    con.executemany("INSERT INTO edge VALUES (?, ?)", [list(p) for p in sorted(surname_pairs)])
    join = "FROM edge e JOIN feats a ON a.unique_id = e.l JOIN feats b ON b.unique_id = e.r"
    rows = con.execute(
        f"SELECT {date_anchors_nothing_sql('a', 'b')}, coalesce({relatives_lookalike_sql('a', 'b')} "
        f"OR {years_apart_unconfirmed_sql('a', 'b')}, false), {named_sql()}, "
        f"{names_settle_apart_sql('a', 'b')}, {apart_sql(dates=True)}, "
        f"coalesce({settled_apart_sql('a', 'b', dates=True)}, false), {apart_sql(dates=False)}, "
        f"coalesce({settled_apart_sql('a', 'b', dates=False)}, false) {join}"
    ).fetchall()
    for row in rows:
        assert row[0] == row[1], row
        assert row[2] == row[3], row
        assert row[4] == row[5], row
        assert row[6] == row[7], row
    # Every rule holds some pairs and lets others through: the comparison means something.
    for held in (0, 2, 4):
        assert 0 < sum(1 for row in rows if row[held]) < len(rows), held


class _PredLeftAsIs:
    """A scorer whose predictions are the ``pred`` table the test wrote."""

    def predict_all(self, table: str, *, threshold: float, out: str, chunks: int = 1) -> str:
        return out


def _settings() -> dict[str, Any]:
    levels = [
        {"label_for_charts": "exact", "m_probability": 0.9, "u_probability": 1e-5},
        {"label_for_charts": "else", "m_probability": 0.1, "u_probability": 0.9},
    ]
    names = ("curp", "given", "paternal", "birth_date", "address", "sex")
    return {"comparisons": [{"output_column_name": n, "comparison_levels": levels} for n in names]}


def _asked(column: str) -> str:
    """A condition that fails the statement on any row it is worked out for (not folded: it reads a
    column)."""
    return f"CAST(error('asked of ' || {column}) AS BOOLEAN)"


def test_the_edge_statement_asks_no_costly_rule_of_a_pair_that_cannot_meet_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One person's records a day apart in the birth date, with the same names and address: no rule
    can hold them (a year alone differing, birth dates 400 days apart, given names that differ), so
    none is worked out for them. On the build before ``pair_guards`` the statement failed here: the
    look-alike rule's address test, the dates' CURP-letters test and the names' test ran on the pair."""
    monkeypatch.setattr(lookalike, "same_address_sql", lambda a, b: _asked(a))
    monkeypatch.setattr(conflict, "curp_names_another_sql", lambda x, y: _asked(f"{x}.unique_id"))
    probe = lambda a, b: f"({_asked(f'{a}.given_full')} OR {names_settle_apart_sql(a, b)})"  # noqa: E731
    for module in ("interop.matching.batch", "interop.matching.pair_guards"):
        monkeypatch.setattr(f"{module}.names_settle_apart_sql", probe, raising=False)
    con = duckdb.connect()
    record: dict[str, str | None] = dict.fromkeys(FEATURE_COLUMNS) | {
        "given_full": "MARTHA",
        "given_main": "MARTHA",
        "ap1": "QUIROGA",
        "ap2": "LUNA",
        "curp": "QULM480517MDFRNR09",
        "domicilio": "ALDAMA 343",
    }
    rows = [
        record | {"unique_id": "roll|1", "source": "roll", "record_id": "1", "dob": "1948-05-17"},
        record | {"unique_id": "patients|2", "source": "patients", "record_id": "2", "dob": "1948-05-18"},
    ]
    cols = ", ".join(f"{c} VARCHAR" for c in FEATURE_COLUMNS)
    con.execute(f"CREATE TABLE feats ({cols})")
    con.executemany(
        f"INSERT INTO feats VALUES ({', '.join('?' for _ in FEATURE_COLUMNS)})",
        [[r[c] for c in FEATURE_COLUMNS] for r in rows],
    )
    batch.mark_changed(con, everything=True)
    weights = ", ".join(f"5.0 AS mw_{c['output_column_name']}" for c in _settings()["comparisons"])
    con.execute(
        "CREATE TABLE pred AS SELECT 'patients|2' AS unique_id_l, 'roll|1' AS unique_id_r, "
        f"30.0 AS match_weight, 0.999 AS match_probability, {weights}"
    )
    n = batch.predict(
        con, settings=_settings(), tf={}, threshold=0.5, incremental=False, scorer=_PredLeftAsIs()
    )
    assert n == 1
    assert con.execute("SELECT linkable, apart, named FROM edge").fetchall() == [(True, False, False)]
