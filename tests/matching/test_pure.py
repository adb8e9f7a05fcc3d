"""Pure parts of matching: evaluation arithmetic, person assignment rules, hard conflicts, and the
Python scorer agreeing with Splink's own predictions."""

from __future__ import annotations

import random
import uuid
from datetime import date

import duckdb
import hypothesis.strategies as st
import pyarrow as pa  # type: ignore[import-untyped]
from hypothesis import given, settings
from tests.matching.factories import make_people, variant

from interop.matching import evaluation, linkage
from interop.matching.assign import Edge, assign_persons
from interop.matching.conflict import Signature, given_variants, hard_conflict
from interop.matching.features import MatchFeatures, features_of
from interop.matching.scoring import grade, load_model, score_pair


def test_pairwise_scores_on_a_hand_made_truth() -> None:
    predicted = {"roll|1": "A", "roll|2": "A", "patients|3": "A", "patients|4": "B"}
    truth = {"roll|1": "x", "roll|2": "x", "patients|3": "y", "patients|4": "y"}
    scores = evaluation.pairwise(predicted, truth)
    assert (
        scores["roll-roll"].true_positives,
        scores["roll-roll"].predicted,
        scores["roll-roll"].actual,
    ) == (1, 1, 1)
    assert (scores["roll-patients"].true_positives, scores["roll-patients"].predicted) == (0, 2)
    assert (scores["patients-patients"].predicted, scores["patients-patients"].actual) == (0, 1)
    assert scores["all"].precision == 1 / 3
    assert scores["all"].recall == 1 / 2
    assert abs(scores["all"].f1 - 0.4) < 1e-9
    joined = evaluation.join_reviews(predicted, [("patients|3", "patients|4")])
    both = evaluation.pairwise(joined, truth)["all"]
    assert (both.true_positives, both.predicted, both.actual) == (2, 6, 2)


def test_assignment_keeps_ids_manual_links_and_refuses_conflicts() -> None:
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    new = iter([uuid.UUID(int=i) for i in range(1, 10)])
    result = assign_persons(
        scored=["r|new", "r|alone", "r|manual", "r|split"],
        existing={"r|old": p1, "r|other": p2},
        previous={"r|alone": p2},
        manual_match={"r|manual": p2},
        manual_no_match={"r|split": {p1}},
        edges=[Edge("r|new", "r|old", 20.0), Edge("r|manual", "r|old", 30.0), Edge("r|split", "r|old", 25.0)],
        new_id=lambda: next(new),
    )
    assert result.person_of["r|new"] == p1  # joins the existing person it is tied to
    assert result.person_of["r|old"] == p1  # unchanged records keep theirs
    assert result.person_of["r|other"] == p2
    assert result.person_of["r|manual"] == p2  # a manual decision is never overturned
    assert result.person_of["r|split"] != p1  # a manual NO_MATCH is respected
    assert result.person_of["r|alone"] == uuid.UUID(int=1) or result.person_of["r|alone"] != p2
    # A chain through a sparse record must not join two records that conflict.
    sig = {
        "a": Signature("CURPA", "1950-01-01", "JUAN", "JUAN"),
        "b": Signature(None, None, "JUAN", "JUAN"),
        "c": Signature("CURPC", "1980-05-05", "JUAN", "JUAN"),
    }
    chained = assign_persons(
        scored=["a", "b", "c"],
        existing={},
        previous={},
        manual_match={},
        manual_no_match={},
        edges=[Edge("a", "b", 10.0), Edge("b", "c", 9.0)],
        conflict=lambda x, y: hard_conflict(sig[x], sig[y]),
    )
    assert chained.person_of["a"] == chained.person_of["b"] != chained.person_of["c"]


def test_hard_conflicts() -> None:
    base = Signature("GOMJ440322MJCNDN96", "1944-03-22", "JUANA", "JUANA")
    assert not hard_conflict(base, base)
    assert hard_conflict(base, Signature("PERJ440322MJCNDN91", "1944-03-22", "JUANA", "JUANA"))
    assert not hard_conflict(base, Signature(None, "1945-03-22", "JUANA", None))  # year off by one
    assert not hard_conflict(base, Signature(None, "1944-03-12", "JUANA", None))
    assert hard_conflict(base, Signature(None, "1974-08-10", "JUANA", None))  # parent and namesake child
    assert hard_conflict(base, Signature(None, None, "ROSA", "ROSA"))  # twins named apart
    assert not hard_conflict(
        Signature(None, None, "GUADALUPE", "GUADALUPE"), Signature(None, None, "GUADALUPA", None)
    )


def test_given_names_that_are_not_variants_conflict() -> None:
    # Ways one person's given names get written: dropped or reordered names, typos, lost spaces.
    for a, b in (
        ("JUAN CARLOS", "CARLOS"),
        ("MARIA GUADALUPE", "MARIA"),
        ("MARIA DEL CARMEN", "CARMEN"),
        ("JOSE LUIS", "LUIS JOSE"),
        ("MARIA DE JESUS", "MARIADE JESUS"),
        ("JOSE ALFREDO", "J ALFREDO"),
        ("CITLALLI", "CITLAYI"),
        ("MARI GUADALUPE", "MKARIA GUADALUPE"),
    ):
        assert given_variants(a, b), (a, b)
        assert given_variants(b, a), (a, b)
    # Twins and siblings: same surnames, birth date and address, names told apart.
    for a, b in (
        ("JUAN CARLOS", "JUAN JOSE"),
        ("JUAN ADRIAN", "RODOLFO JUAN"),
        ("DULCE MARIA", "MARIA"),
        ("ALEJANDRO JOSE", "JOSE"),
        ("MARTHA", "FRANCISCA"),
    ):
        assert not given_variants(a, b), (a, b)
        assert not given_variants(b, a), (a, b)
    twin = Signature(None, "1947-02-08", "JUAN", "JUAN CARLOS", "JUAN CARLOS")
    other = Signature("SOTJ470208HSPRCN39", "1947-02-08", "JUAN", "JUAN", "JUAN JOSE")
    assert hard_conflict(twin, other)
    assert not hard_conflict(twin, Signature(None, "1947-02-08", "CARLOS", "CARLOS", "CARLOS"))


def _features(people_seed: int = 3) -> list[MatchFeatures]:
    rng = random.Random(people_seed)
    out: list[MatchFeatures] = []
    for p in make_people(400, seed=people_seed):
        for i, q in enumerate([p, variant(p, rng, keep_curp=rng.random() < 0.5)]):
            out.append(
                features_of(
                    source="roll" if i == 0 else "patients",
                    record_id=f"{p.key}-{i}",
                    curp=q.curp or None,
                    given_names=q.nombre,
                    paternal_surname=q.primer_apellido,
                    maternal_surname=q.segundo_apellido,
                    birth_date=q.fecha_nacimiento,
                    sex=q.sexo,
                    entidad=q.entidad,
                    municipio=q.municipio,
                    localidad=q.localidad,
                    domicilio=q.domicilio,
                )
            )
    return out


def _twins(n: int = 30) -> list[MatchFeatures]:
    """A twin of each of the first ``n`` people: everything alike but the given name."""
    return [
        features_of(
            source="roll",
            record_id=f"{p.key}-twin",
            curp=None,
            given_names="BALTAZAR" if p.sexo == "H" else "CLEOTILDE",
            paternal_surname=p.primer_apellido,
            maternal_surname=p.segundo_apellido,
            birth_date=p.fecha_nacimiento,
            sex=p.sexo,
            entidad=p.entidad,
            municipio=p.municipio,
            localidad=p.localidad,
            domicilio=p.domicilio,
        )
        for p in make_people(400, seed=3)[:n]
    ]


def test_python_scorer_gives_splinks_weights() -> None:
    feats = _features() + _twins()
    con = duckdb.connect()
    con.register("f_arrow", pa.Table.from_pylist([f.as_dict() for f in feats]))
    con.execute("CREATE TABLE feats AS SELECT * FROM f_arrow").fetchall()
    trained = linkage.train(con, "feats", u_max_pairs=2e5)
    scorer = linkage.Scorer(con, trained.settings, trained.tf)
    scorer.predict_all("feats", threshold=0.0, out="pred")
    rows = con.execute("SELECT unique_id_l, unique_id_r, match_weight FROM pred").fetchall()
    assert len(rows) > 300
    # Blocking follows the current rules, whatever rules a stored model was saved with.
    stale = {**trained.settings, "blocking_rules_to_generate_predictions": ["l.unique_id = 'none'"]}
    linkage.Scorer(con, stale, trained.tf).predict_all("feats", threshold=0.0, out="pred_stale")
    assert con.execute("SELECT count(*) FROM pred_stale").fetchall() == [(len(rows),)]
    model = load_model(trained.settings, trained.tf, version="t", digest="d")
    by_id = {f.unique_id: f for f in feats}
    for left, right, weight in rows:
        ours = score_pair(model, by_id[left], by_id[right]).match_weight
        assert abs(ours - weight) < 1e-6, (left, right)
    # The batch's veto tells the given-name "else" level by its weight: exactly the pairs at that level.
    veto = linkage.else_weight(trained.settings, "given")
    weights = con.execute("SELECT unique_id_l, unique_id_r, mw_given FROM pred").fetchall()
    assert any(abs(w - veto) < 1e-6 for _, _, w in weights)
    for left, right, w in weights:
        scored = score_pair(model, by_id[left], by_id[right])
        level = next(e.level for e in scored.evidence if e.comparison == "given")
        assert (abs(w - veto) < 1e-6) == (level == "else"), (left, right)
    # The duplicates are found: most true pairs score above 0.99.
    probs = {
        (a, b): p
        for a, b, p in con.execute("SELECT unique_id_l, unique_id_r, match_probability FROM pred").fetchall()
    }
    true_pairs = [(f"roll|{k}-0", f"patients|{k}-1") for k in range(400)]
    found = sum(1 for a, b in true_pairs if max(probs.get((a, b), 0), probs.get((b, a), 0)) >= 0.99)
    assert found >= 0.9 * len(true_pairs)


def test_certain_needs_a_curp_or_birth_date_anchor() -> None:
    from interop.matching.online import _grade
    from interop.matching.scoring import FieldEvidence, PairScore

    names_only = PairScore(
        30.0,
        0.999999,
        (
            FieldEvidence("curp", "missing", 0.0),
            FieldEvidence("birth_date", "missing", 0.0),
            FieldEvidence("given", "all exact", 9.0),
            FieldEvidence("address", "exact", 3.0),
        ),
    )
    anchored = PairScore(30.0, 0.999999, (FieldEvidence("birth_date", "exact", 12.0),))
    assert _grade(names_only, auto_threshold=0.99, review_threshold=0.5) == "probable"
    assert _grade(anchored, auto_threshold=0.99, review_threshold=0.5) == "certain"
    assert _grade(anchored, auto_threshold=0.99, review_threshold=0.5, conflict=True) == "probable"
    names_unrelated = PairScore(
        30.0,
        0.999999,
        (FieldEvidence("birth_date", "exact", 12.0), FieldEvidence("given", "else", -10.9)),
    )
    assert _grade(names_unrelated, auto_threshold=0.99, review_threshold=0.5) == "probable"
    low = PairScore(0.0, 0.6, (FieldEvidence("birth_date", "exact", 12.0),))
    assert _grade(low, auto_threshold=0.99, review_threshold=0.5) == "possible"


def test_edit_distances_equal_duckdbs() -> None:
    """The online scorer's distances must be the batch's (Splink runs DuckDB's functions)."""
    from interop.matching.spec import damerau_levenshtein, levenshtein

    rng = random.Random(11)
    alphabet = "ABCÑÁ 12"
    pairs = [("", ""), ("", "ABC"), ("CA", "ABC"), ("ABCD", "BADC"), ("ÑOÑO", "NONO")]
    for _ in range(3000):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9)))
        b = list(a)
        for _ in range(rng.randint(0, 3)):  # a few edits, transpositions included
            op, i = rng.random(), rng.randrange(len(b) + 1)
            if op < 0.3 and i < len(b) - 1:
                b[i], b[i + 1] = b[i + 1], b[i]
            elif op < 0.6:
                b.insert(i, rng.choice(alphabet))
            elif b:
                del b[min(i, len(b) - 1)]
        pairs.append((a, "".join(b)))
    con = duckdb.connect()
    con.register("p", pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}))
    expected = con.execute("SELECT levenshtein(a, b), damerau_levenshtein(a, b) FROM p").fetchall()
    got = [(levenshtein(a, b), damerau_levenshtein(a, b)) for a, b in pairs]
    assert got == expected


def test_edit_distances_follow_the_engines_unit_either_way() -> None:
    """Whichever unit an engine counts in (DuckDB < 2.0.1 bytes, 2.0.1 and Spark characters), the scorer
    counts in it once told; the engine module tells it at import, so the running DuckDB is followed."""
    from interop.matching import spec

    running = linkage.duckdb_edit_unit()
    assert spec.edit_unit() == running
    try:
        spec.count_edits_in("bytes")
        assert (spec.levenshtein("ÑOÑO", "NONO"), spec.damerau_levenshtein("ÑA", "AÑ")) == (4, 2)
        spec.count_edits_in("characters")
        assert (spec.levenshtein("ÑOÑO", "NONO"), spec.damerau_levenshtein("ÑA", "AÑ")) == (2, 1)
    finally:
        spec.count_edits_in(running)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=40))
def test_fields_compared_by_edit_distance_are_ascii(given: str, surname: str, address: str) -> None:
    """The values edit distances run on count the same in bytes and characters, so no engine version
    can make the batch and the online scorer disagree on them."""
    f = features_of(
        source="roll",
        record_id="1",
        curp=None,
        given_names=given,
        paternal_surname=surname,
        maternal_surname=surname[::-1],
        birth_date=None,
        sex=None,
        entidad=None,
        municipio=None,
        localidad=None,
        domicilio=address,
    )
    for value in (f.given_full, f.given_main, f.given_rest, f.ap1, f.ap2, f.domicilio, f.curp, f.dob):
        assert value is None or value.isascii(), value


def test_online_grade_of_accented_names_equals_the_batchs() -> None:
    """Pairs written with accents, Ñ and other letters on one side and plain on the other: Splink's
    probability in DuckDB and the online scorer's agree, and so do their grades."""
    spellings = [
        ("MARÍA DE LOS ÁNGELES", "MARIA DE LOS ANGELES"),
        ("JOSÉ ÑUÑO", "JOSE NUNO"),
        ("ÚRSULA", "URSULA"),
        ("JESÚS", "JESUS"),
    ]
    surnames = [("MUÑOZ", "MUNOZ"), ("PEÑA", "PENA"), ("NÚÑEZ", "NUNEZ"), ("GONZÁLEZ", "GONZALES")]
    feats = _features()
    for k, ((g1, g2), (s1, s2)) in enumerate(zip(spellings * 5, surnames * 5, strict=True)):
        for i, (g, s, addr) in enumerate(
            ((g1, s1, f"CALLE PIÑÓN {k}, COL. ÁLAMOS"), (g2, s2, f"CALLE PINON {k} COL ALAMOS"))
        ):
            feats.append(
                features_of(
                    source="roll" if i == 0 else "patients",
                    record_id=f"acc{k}-{i}",
                    curp=None,
                    given_names=g,
                    paternal_surname=s,
                    maternal_surname="ORDÓÑEZ",
                    birth_date=None if k % 2 else __import__("datetime").date(1950, 1, 1 + k),
                    sex="M",
                    entidad="OC",
                    municipio="SAN PEDRO",
                    localidad="SAN PEDRO",
                    domicilio=addr,
                )
            )
    con = duckdb.connect()
    con.register("f_arrow", pa.Table.from_pylist([f.as_dict() for f in feats]))
    con.execute("CREATE TABLE feats AS SELECT * FROM f_arrow").fetchall()
    trained = linkage.train(con, "feats", u_max_pairs=2e5)
    linkage.Scorer(con, trained.settings, trained.tf).predict_all("feats", threshold=0.0, out="pred")
    rows = con.execute(
        "SELECT unique_id_l, unique_id_r, match_probability FROM pred "
        "WHERE unique_id_l LIKE 'roll|acc%' OR unique_id_r LIKE 'roll|acc%'"
    ).fetchall()
    model = load_model(trained.settings, trained.tf, version="t", digest="d")
    by_id = {f.unique_id: f for f in feats}
    compared = 0
    for left, right, probability in rows:
        ours = score_pair(model, by_id[left], by_id[right]).probability
        assert abs(ours - probability) < 1e-9, (left, right)
        assert grade(ours, auto_threshold=0.99, review_threshold=0.5) == grade(
            probability, auto_threshold=0.99, review_threshold=0.5
        )
        compared += 1
    assert compared >= 20


def test_records_of_different_sexes_need_the_same_given_names() -> None:
    """LUIS and MARIA LUISA with one birth date and address are a brother and a sister, not a typo."""
    brother = Signature(None, "2011-03-10", "LUIS", None, "LUIS", "H")
    assert hard_conflict(brother, Signature(None, "2011-03-10", "MARIA", "LUISA", "MARIA LUISA", "M"))
    assert hard_conflict(brother, Signature(None, "2011-03-10", "LUISA", None, "LUISA", "M"))
    # The same spelling with the sex mistyped, or a misspelling with the sex agreeing, stay variants.
    assert not hard_conflict(brother, Signature(None, "2011-03-10", "LUIS", None, "LUIS", "M"))
    assert not hard_conflict(brother, Signature(None, "2011-03-10", "LUIZ", None, "LUIZ", "H"))
    assert not hard_conflict(brother, Signature(None, "2011-03-10", "JOSE", "LUIS", "JOSE LUIS", "M"))
    assert not hard_conflict(brother, Signature(None, "2011-03-10", "LUISA", None, "LUISA", None))


def test_weak_rules_keep_to_one_entidad_in_the_batch_only() -> None:
    """The batch compares a name-and-year pair only within one entidad and never blocks on names
    alone; online lookups keep both rules broad (their extra candidates are only scored)."""
    from interop.matching.blocking import BLOCKING_RULES
    from interop.matching.online import _LOOKUPS

    batch = linkage.base_settings()["blocking_rules_to_generate_predictions"]
    rules = {r.name: r for r in BLOCKING_RULES}
    year, names = rules["main given + paternal + birth year"], rules["all three names"]
    assert year.sql in batch
    assert "l.entidad = r.entidad" in year.sql
    assert names.sql not in batch
    assert "entidad" not in names.sql
    online = [pairs for pairs, _, _ in _LOOKUPS]
    assert year.pairs in online
    assert names.pairs in online
    assert all(stored != "entidad" for _, stored in year.pairs)


def test_settled_curps_that_differ_conflict_and_keep_two_roll_records_apart() -> None:
    from interop.matching.conflict import curps_settle_apart, kept_apart, settles

    # Namesakes born the same day: one edit apart (the homoclave), which the old rule let through.
    a = Signature("QUUZ480517HOCRLN03", "1948-05-17", "ZENAIDO", None, "ZENAIDO", "H", "roll")
    b = Signature("QUUZ480517HOCRLN53", "1948-05-17", "ZENAIDO", None, "ZENAIDO", "H", "roll")
    assert settles(a)
    assert curps_settle_apart(a, b)
    assert hard_conflict(a, b)
    assert kept_apart(a, b)
    # A registry record like that: a conflict (to review), not kept apart.
    registry = Signature(b.curp, b.dob, "ZENAIDO", None, "ZENAIDO", "H", "patients")
    assert hard_conflict(a, registry)
    assert not kept_apart(a, registry)
    # Without its birth date a CURP does not settle anything: one edit apart is no conflict.
    undated = Signature(b.curp, None, "ZENAIDO", None, "ZENAIDO", "H", "roll")
    assert not settles(undated)
    assert not hard_conflict(a, undated)
    assert not kept_apart(a, undated)
    assert not kept_apart(a, Signature(a.curp, a.dob, "ZENAIDO", None, "ZENAIDO", "H", "roll"))


def test_rules_in_sql_equal_the_rules_in_python() -> None:
    from interop.matching.conflict import (
        kept_apart,
        kept_apart_sql,
        year_only_differs,
        year_only_differs_sql,
    )

    values = [
        (curp, dob, source)
        for curp in ("QUUZ480517HOCRLN03", "QUUZ480517HOCRLN53", None)
        for dob in ("1948-05-17", "1949-05-17", "1948-05-18", "1958-05-17", None)
        for source in ("roll", "patients")
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE f (i INTEGER, curp VARCHAR, dob VARCHAR, source VARCHAR)")
    con.executemany("INSERT INTO f VALUES (?, ?, ?, ?)", [(i, *v) for i, v in enumerate(values)])
    rows = con.execute(
        f"SELECT a.i, b.i, {kept_apart_sql('a', 'b')}, {year_only_differs_sql('a', 'b')} FROM f a, f b"
    ).fetchall()
    assert len(rows) == len(values) ** 2
    for i, j, apart, year_only in rows:
        (ca, da, sa), (cb, db, sb) = values[i], values[j]
        sig_a = Signature(ca, da, "ZENAIDO", None, "ZENAIDO", "H", sa)
        sig_b = Signature(cb, db, "ZENAIDO", None, "ZENAIDO", "H", sb)
        assert bool(apart) == kept_apart(sig_a, sig_b), (values[i], values[j])
        assert year_only == year_only_differs(da, db), (values[i], values[j])
    assert any(r[2] for r in rows)
    assert any(r[3] for r in rows)


def test_a_layout_keeps_to_the_fields_present_and_the_full_layout_is_unchanged() -> None:
    from interop.matching import blocking, spec
    from interop.matching.layout import Layout, comparisons_for, deterministic_rules_sql, em_rules_sql

    full = Layout.full()
    assert comparisons_for(full) == spec.COMPARISONS
    assert linkage.base_settings(full)["blocking_rules_to_generate_predictions"] == [
        *(r.sql for r in blocking.BLOCKING_RULES if not r.online_only),
        *(" AND ".join(f"l.{c} = r.{c}" for c in cols) for cols in blocking.BATCH_ONLY_COLUMNS),
    ]
    febrl = Layout(frozenset({"given_full", "ap1", "dob", "municipio", "localidad", "domicilio"}))
    assert [c.name for c in comparisons_for(febrl)] == [
        "given",
        "paternal",
        "birth_date",
        "place_local",
        "address",
    ]
    assert em_rules_sql(febrl) == [
        "l.given_full = r.given_full AND l.ap1 = r.ap1",
        "l.ap1 = r.ap1 AND l.dob = r.dob",
        "l.given_main = r.given_main AND l.dob = r.dob",
        "l.dob = r.dob AND l.domicilio = r.domicilio",  # no CURP: a pass that fixes no name
    ]
    # The prior falls back to names and birth date.
    assert deterministic_rules_sql(febrl) == [
        "l.given_full = r.given_full AND l.ap1 = r.ap1 AND l.dob = r.dob"
    ]
    rules = linkage.base_settings(febrl)["blocking_rules_to_generate_predictions"]
    assert all("entidad" not in r and "curp" not in r and "ap2" not in r for r in rules)
    assert "l.given_main = r.given_main AND l.dob = r.dob" in rules
    # Both names and the postcode mistyped: the birth date within one localidad still finds the pair.
    assert "l.dob = r.dob AND l.localidad = r.localidad" in rules


def test_relatives_lookalike_in_sql_equals_python() -> None:
    from dataclasses import replace

    from tests.matching.test_years_apart import _CURP_1950

    from interop.matching.conflict import relatives_lookalike, relatives_lookalike_sql

    rng = random.Random(3)
    columns = ("dob", "given_full", "ap1", "ap2", "domicilio", "municipio", "localidad", "curp")
    # A CURP stating 1950-02-11 (kept on a 1951 record as a slip in the year: ``curp_states_other``).
    choices = {
        "dob": ("1950-02-11", "1951-02-11", "1950-02-12", None),
        "curp": (_CURP_1950, None, None),
        "given_full": ("EUSEBIO", "EUSEVIO", "EUSEBIO JUAN", "CHEVO", None),
        "ap1": ("ZEPEDA", None),
        "ap2": ("OCHOA", "OCHOAS", "OCHAO", "ORTIZ", None),
        "domicilio": (
            "CALLE 1",
            "CALLE 2",
            "ALDAMA 343",
            "C ALDAMA 343 COL CENTRO",
            "DOM CONOCIDO",
            "DOMICILIO CONOCIDO S N",
            None,
        ),
        "municipio": ("067", "068", None),
        "localidad": ("0001", None),
    }
    people = [[rng.choice(choices[c]) for c in columns] for _ in range(160)]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE f (i INTEGER, {', '.join(f'{c} VARCHAR' for c in columns)})")
    con.executemany(
        f"INSERT INTO f VALUES (?{', ?' * len(columns)})", [(i, *p) for i, p in enumerate(people)]
    )

    def feats(p: list[str | None]) -> MatchFeatures:
        v = dict(zip(columns, p, strict=True))
        return features_of(
            source="roll",
            record_id="x",
            curp=v["curp"],
            given_names=v["given_full"],
            paternal_surname=v["ap1"],
            maternal_surname=v["ap2"],
            birth_date=None if v["dob"] is None else date.fromisoformat(v["dob"]),
            sex=None,
            entidad=None,
            municipio=v["municipio"],
            localidad=v["localidad"],
            domicilio=v["domicilio"],
        )

    forms = [feats(p) for p in people]
    # The table holds the CURP a record is compared by (``features_of`` keeps it or not), and the
    # main given name the nickname test reads.
    con.execute("ALTER TABLE f ADD COLUMN given_main VARCHAR")
    for i, f in enumerate(forms):
        con.execute("UPDATE f SET curp = ?, given_main = ? WHERE i = ?", [f.curp, f.given_main, i])
    rows = con.execute(f"SELECT a.i, b.i, {relatives_lookalike_sql('a', 'b')} FROM f a, f b").fetchall()
    for i, j, sql in rows:
        assert bool(sql) == relatives_lookalike(forms[i], forms[j]), (people[i], people[j])
    assert any(r[2] for r in rows)
    # Look-alikes on dates alone that a CURP dating the other record turns back into one person.
    assert any(
        f.curp
        and g.curp is None
        and f.dob != g.dob
        and not relatives_lookalike(f, g)
        and relatives_lookalike(replace(f, curp=None), g)
        for f in forms
        for g in forms
    )


def test_a_valid_curp_is_kept_despite_a_slip_in_the_year_in_sql_as_in_python() -> None:
    from interop.identity.curp import build_curp
    from interop.matching.conflict import settles
    from interop.matching.features import matching_curp_sql, year_mistyped

    # A slip: one apart, or the last digit; not the tens (a parent's or child's date).
    assert year_mistyped("1948-05-17", "1949-05-17")
    assert year_mistyped("1949-05-17", "1950-05-17")
    assert year_mistyped("1948-05-17", "1941-05-17")
    assert not year_mistyped("1948-05-17", "1978-05-17")
    assert not year_mistyped("1948-05-17", "1948-05-17")
    assert not year_mistyped("1948-05-17", "1949-05-18")
    born = date(1948, 5, 17)
    curp = build_curp(
        given_names="ZENAIDO",
        paternal_surname="QUIROGA",
        maternal_surname="ULLOA",
        birth_date=born,
        sex="H",
        state="OC",
        homoclave="0",
    )
    dobs = (born, date(1949, 5, 17), date(1947, 5, 17), date(1943, 5, 17), date(1958, 5, 17), None)
    cases = [(dob, sex) for dob in dobs for sex in ("H", "M", None)]
    con = duckdb.connect()
    sql = matching_curp_sql("curp", "trusted", "dob", "sexo")
    kept = []
    for dob, sex in cases:
        f = features_of(
            source="roll",
            record_id="x",
            curp=curp,
            given_names="ZENAIDO",
            paternal_surname="QUIROGA",
            maternal_surname="ULLOA",
            birth_date=dob,
            sex=sex,
            entidad="OC",
            municipio=None,
            localidad=None,
            domicilio=None,
        )
        trusted = f.dob is None or f.dob == born.isoformat()
        trusted = trusted and sex != "M"
        (in_sql,) = con.execute(
            f"SELECT {sql} FROM (SELECT ?::VARCHAR AS curp, ?::BOOLEAN AS trusted, ?::VARCHAR AS dob, "
            "?::VARCHAR AS sexo)",
            [curp, trusted, f.dob, sex],
        ).fetchone() or (None,)
        assert in_sql == f.curp, (dob, sex)
        kept.append(f.curp is not None)
        # Kept for comparison, a CURP settles identity only on its own birth date.
        sig = Signature(f.curp, f.dob, "ZENAIDO", None, "ZENAIDO", sex, "roll")
        assert settles(sig) == (f.curp is not None and f.dob == born.isoformat())
    # Its own date, a year one apart or in the last digit, unless the sex contradicts; not the tens.
    assert kept == [True, False, True] * 4 + [False] * 3 + [True, False, True]


def test_without_curps_names_and_address_anchor_a_pair_missing_a_birth_date_in_sql_as_online() -> None:
    from interop.matching.edge_columns import linkable_sql
    from interop.matching.online import _grade
    from interop.matching.scoring import FieldEvidence, PairScore

    def settings_of(names: tuple[str, ...]) -> dict[str, object]:
        levels = [{"m_probability": 0.1, "u_probability": 0.9}]
        return {"comparisons": [{"output_column_name": n, "comparison_levels": levels} for n in names]}

    febrl = ("given", "paternal", "birth_date", "address")
    cases = [
        # (comparisons of the model, weights, a birth date missing, anchored)
        (febrl, {"given": 5.0, "paternal": 4.0, "birth_date": 0.0, "address": 3.0}, True, True),
        (febrl, {"given": 5.0, "paternal": 4.0, "birth_date": 0.0, "address": 0.0}, True, False),
        (febrl, {"given": 5.0, "paternal": -1.0, "birth_date": 0.0, "address": 3.0}, True, False),
        (febrl, {"given": 5.0, "paternal": 4.0, "birth_date": -6.0, "address": 3.0}, False, False),
        (febrl, {"given": 5.0, "paternal": 4.0, "birth_date": 7.0, "address": 3.0}, False, True),
        # With CURPs in the data the old rule stands: names and address never anchor.
        (
            ("curp", *febrl),
            {"curp": 0.0, "given": 5.0, "paternal": 4.0, "birth_date": 0.0, "address": 3.0},
            True,
            False,
        ),
    ]
    con = duckdb.connect()
    for names, weights, undated, anchored in cases:
        sql = linkable_sql(settings_of(names))
        cols = ", ".join(f"{w!r}::DOUBLE AS mw_{n}" for n, w in weights.items())
        (linkable,) = con.execute(
            f"SELECT {sql} FROM (SELECT {cols}) pr, (SELECT ?::VARCHAR AS dob, "
            "'ZENAIDO'::VARCHAR AS given_full, 'ZENAIDO'::VARCHAR AS given_main, "
            "'QUIROGA'::VARCHAR AS ap1, NULL::VARCHAR AS ap2, "
            "NULL::VARCHAR AS domicilio, NULL::VARCHAR AS municipio, NULL::VARCHAR AS localidad, "
            "NULL::VARCHAR AS curp) a, "
            "(SELECT '1948-05-17'::VARCHAR AS dob, 'ZENAIDO'::VARCHAR AS given_full, "
            "'ZENAIDO'::VARCHAR AS given_main, "
            "'QUIROGA'::VARCHAR AS ap1, NULL::VARCHAR AS ap2, NULL::VARCHAR AS domicilio, "
            "NULL::VARCHAR AS municipio, NULL::VARCHAR AS localidad, NULL::VARCHAR AS curp) b",
            [None if undated else "1948-05-17"],
        ).fetchone() or (None,)
        assert bool(linkable) == anchored, (names, weights)
        levels = {n: ("missing" if n == "birth_date" and undated else "exact") for n in names}
        scored = PairScore(30.0, 0.999999, tuple(FieldEvidence(n, levels[n], w) for n, w in weights.items()))
        graded = _grade(scored, auto_threshold=0.99, review_threshold=0.5, undated=undated)
        assert (graded == "certain") == anchored, (names, weights)


def test_a_records_link_to_a_person_takes_the_likelier_review_pairs_score() -> None:
    """Two review pairs tie record L to one person (through A and through B): the one POSSIBLE_MATCH
    link takes the likelier pair's score, whatever order the engine returned the pairs in."""
    from interop.matching import batch as batch_module

    settings = {
        "comparisons": [{"output_column_name": "curp", "comparison_levels": [{"sql_condition": "ELSE"}]}]
    }
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE assigned (unique_id VARCHAR, person_id VARCHAR, via_left VARCHAR, via_right VARCHAR)"
    ).fetchall()
    con.execute(
        "CREATE TABLE possible AS SELECT * FROM (VALUES ('roll|L', 'roll|A', 'p1'), "
        "('roll|L', 'roll|B', 'p1')) AS t (left_id, right_id, person_id)"
    ).fetchall()
    con.execute("CREATE TABLE feats AS SELECT 'roll|L' AS unique_id, 'MC' AS entidad").fetchall()
    for order in ("ASC", "DESC"):
        con.execute(
            "CREATE OR REPLACE TABLE pred AS SELECT * FROM (VALUES "
            "('roll|L', 'roll|A', 0.6::DOUBLE, 1.0::DOUBLE), "
            f"('roll|L', 'roll|B', 0.9, 2.0)) AS t (unique_id_l, unique_id_r, match_probability, mw_curp) "
            f"ORDER BY match_probability {order}"
        ).fetchall()
        rows = con.execute(batch_module.links_sql(settings, "v1", 1, scored_pairs=True)).fetchall()
        assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [("roll", "L", "p1", "POSSIBLE_MATCH", 0.9)]
