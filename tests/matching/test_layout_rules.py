"""Rules that depend on the record layout: on data with neither CURP nor sex (FEBRL's layout) the
rules that tell relatives apart by their given names step aside — in the hard conflict, the given-name
veto (batch SQL and online grade alike) and the given-name prior — and a given name written in the
surname's field is a comparison level of its own, in SQL as in Python."""

from __future__ import annotations

from typing import Any

import duckdb

from interop.identity.keys import phonetic_key
from interop.matching import layout, linkage, spec
from interop.matching.conflict import Signature, hard_conflict
from interop.matching.edge_columns import linkable_sql
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures
from interop.matching.online import _grade
from interop.matching.scoring import FieldEvidence, PairScore


def _sig(given: str, ap1: str, dob: str | None = "1965-05-12", sexo: str | None = None) -> Signature:
    main = given.split()[0]
    rest = " ".join(given.split()[1:]) or None
    return Signature(None, dob, main, rest, given, sexo, "patients", ap1)


def test_without_curp_or_sex_typed_given_names_and_dates_are_no_conflict() -> None:
    typos = [
        (_sig("LIAM", "KRANZ"), _sig("LAIN", "KRANZ")),  # two slips in a short name
        (_sig("TIANA", "LUCHETTI"), _sig("LUCHETTI", "TIANA")),  # name and surname swapped
        (_sig("TIANA", "LUCHETTI"), _sig("LUCHETTI", "TAINA")),  # swapped, and mistyped
        (_sig("RUBY", "RIDING", "1965-05-12"), _sig("RUBY", "RIDING", "1956-05-21")),  # two transpositions
    ]
    for a, b in typos:
        # The old rules: a sibling's name or a relative's date.
        assert hard_conflict(a, b)
        assert not hard_conflict(a, b, relatives=False), (a, b)
        assert not hard_conflict(b, a, relatives=False), (a, b)
    apart = [
        (_sig("THOMAS", "ROKOBARO"), _sig("FLYNN", "ROKOBARO")),  # unrelated given names
        (_sig("RUBY", "RIDING", "1965-06-15"), _sig("RUBY", "RIDING", "1907-11-20")),  # unrelated dates
        (_sig("TIANA", "LUCHETTI"), _sig("LUCHETTI", "MARLOW")),  # one name in the other's place only
    ]
    for a, b in apart:
        assert hard_conflict(a, b, relatives=False), (a, b)
    # A CURP or a sex in the data keeps the rules for relatives.
    assert layout.tells_relatives(("curp", "given"))
    assert layout.tells_relatives(("sex", "given"))
    assert not layout.tells_relatives(("given", "paternal", "birth_date", "address"))


def _settings(names: tuple[str, ...], *, given_else_m: float = 0.02) -> dict[str, Any]:
    def levels(name: str) -> list[dict[str, Any]]:
        comparison = spec.COMPARISON_BY_NAME[name]
        return [
            {
                "label_for_charts": lv.label,
                "m_probability": given_else_m if lv.label == "else" else 0.5,
                "u_probability": 0.9 if lv.label == "else" else 0.01,
                **({"is_null_level": True} if lv.null else {}),
            }
            for lv in comparison.levels
        ]

    return {"comparisons": [{"output_column_name": n, "comparison_levels": levels(n)} for n in names]}


def _given_else_m(settings: dict[str, Any]) -> float:
    given = next(c for c in settings["comparisons"] if c["output_column_name"] == "given")
    return float(
        next(lv for lv in given["comparison_levels"] if lv["label_for_charts"] == "else")["m_probability"]
    )


def test_the_given_name_prior_and_veto_step_aside_without_curp_or_sex_in_sql_as_online() -> None:
    febrl = ("given", "paternal", "birth_date", "address")
    with_sex = (*febrl, "sex")
    # The prior "unrelated given names say another person" caps EM's m only where relatives are told apart.
    assert _given_else_m(linkage.apply_priors(_settings(febrl), u_max_pairs=1e6)) == 0.02
    assert (
        _given_else_m(linkage.apply_priors(_settings(with_sex), u_max_pairs=1e6))
        == spec.M_CAP[("given", "else")]
    )

    con = duckdb.connect()
    for names, vetoed in ((febrl, False), (with_sex, True)):
        settings = linkage.apply_priors(_settings(names), u_max_pairs=1e6)
        else_w = linkage.else_weight(settings, "given")
        weights = {n: (else_w if n == "given" else 5.0) for n in names}
        cols = ", ".join(f"{w!r}::DOUBLE AS mw_{n}" for n, w in weights.items())
        row = con.execute(
            f"SELECT {linkable_sql(settings)} FROM (SELECT {cols}) pr, "
            "(SELECT '1965-05-12' AS dob, 'LIAM' AS given_full, 'LIAM' AS given_main, 'KRANZ' AS ap1, "
            "NULL AS ap2, "
            "NULL AS domicilio, NULL AS municipio, NULL AS localidad, NULL AS curp) a, "
            "(SELECT '1965-05-12' AS dob, 'LAIN' AS given_full, 'LAIN' AS given_main, 'KRANZ' AS ap1, "
            "NULL AS ap2, "
            "NULL AS domicilio, NULL AS municipio, NULL AS localidad, NULL AS curp) b"
        ).fetchone()
        assert row is not None
        assert bool(row[0]) is not vetoed, names
        scored = PairScore(
            30.0,
            0.999999,
            tuple(FieldEvidence(n, "else" if n == "given" else "exact", w) for n, w in weights.items()),
        )
        relatives = layout.model_tells_relatives(settings)
        graded = _grade(scored, auto_threshold=0.99, review_threshold=0.5, relatives=relatives)
        assert (graded == "certain") is not vetoed, names


def _features(i: int, given: str, ap1: str) -> MatchFeatures:
    values: dict[str, Any] = dict.fromkeys(FEATURE_COLUMNS)
    main, *rest = given.split()
    values.update(
        unique_id=f"p|{i}",
        source="p",
        record_id=str(i),
        given_full=given,
        given_main=main,
        given_rest=" ".join(rest) or None,
        ap1=ap1,
        ph_given=phonetic_key(main) or None,
        ph_ap1=phonetic_key(ap1) or None,
    )
    return MatchFeatures(**values)


def test_given_name_and_surname_swapped_is_a_level_in_sql_as_in_python() -> None:
    records = [
        _features(0, "TIANA", "LUCHETTI"),
        _features(1, "LUCHETTI", "TIANA"),
        _features(2, "LUCHETTI", "TAINA"),
        _features(3, "LUCHETI", "TIANA"),
        _features(4, "LUCHETTI", "MARLOW"),
        _features(5, "TIANA", "MARLOW"),
        _features(6, "JUAN CARLOS", "PEREZ"),
        _features(7, "PEREZ", "JUAN"),
    ]
    con = duckdb.connect()
    cols = ", ".join(f"{c} VARCHAR" for c in FEATURE_COLUMNS)
    con.execute(f"CREATE TABLE f ({cols})")
    con.executemany(
        f"INSERT INTO f VALUES ({', '.join('?' for _ in FEATURE_COLUMNS)})",
        [[getattr(r, c) for c in FEATURE_COLUMNS] for r in records],
    )
    pairs = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in FEATURE_COLUMNS)
    swapped_levels = 0
    for comparison in (spec.GIVEN, spec.PATERNAL):
        case = " ".join(f"WHEN {lv.sql} THEN '{lv.label}'" for lv in comparison.levels if lv.sql != "ELSE")
        rows = con.execute(
            f"SELECT unique_id_l, unique_id_r, CASE {case} ELSE 'else' END FROM "
            f"(SELECT {pairs} FROM f l, f r WHERE l.unique_id <> r.unique_id)"
        ).fetchall()
        by_id = {r.unique_id: r for r in records}
        for left, right, label in rows:
            a, b = by_id[left], by_id[right]
            expected = next(lv.label for lv in comparison.levels if lv.test(a, b))
            assert label == expected, (comparison.name, left, right)
            swapped_levels += label.startswith("swapped with the")
    # Records 0 with 1 and 3 (a surname spelt alike), and 6 with 7, each way, in both comparisons.
    assert swapped_levels == 2 * 2 * 3
