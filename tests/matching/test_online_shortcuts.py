"""``$match``'s per-call shortcuts give the answers of the code they replaced, on a generated population:
a candidate given up part-way (``scoring.score_pair_reaching``) is one that would have scored below the
floor, every other is scored to the same figures; the candidates' statement built once per shape
(``online.candidate_query``) is the text and parameters the per-call builder gave."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from tests.matching.factories import make_people, variant

from interop.matching import linkage
from interop.matching.blocking import probe_key_sql
from interop.matching.features import MatchFeatures, features_of
from interop.matching.online import _LOOKUPS, _STORED, candidate_query, lookup_branch
from interop.matching.record_columns import detail_join, qualified
from interop.matching.scoring import floor_weight, load_model, score_pair, score_pair_reaching


def _population(seed: int) -> list[MatchFeatures]:
    """Each person's record, a noisy variant of it, and some records with fields left blank."""
    rng = random.Random(seed)
    out: list[MatchFeatures] = []
    for p in make_people(300, seed=seed):
        for i, q in enumerate([p, variant(p, rng, keep_curp=rng.random() < 0.5)]):
            blank = rng.random() < 0.3
            out.append(
                features_of(
                    source="roll" if i == 0 else "patients",
                    record_id=f"{p.key}-{i}",
                    curp=None if blank and rng.random() < 0.5 else (q.curp or None),
                    given_names=q.nombre,
                    paternal_surname=q.primer_apellido,
                    maternal_surname=None if blank and rng.random() < 0.5 else q.segundo_apellido,
                    birth_date=None if blank and rng.random() < 0.3 else q.fecha_nacimiento,
                    sex=q.sexo,
                    entidad=None if blank and rng.random() < 0.3 else q.entidad,
                    municipio=q.municipio,
                    localidad=q.localidad,
                    domicilio=None if blank and rng.random() < 0.5 else q.domicilio,
                )
            )
    return out


def test_a_pair_given_up_part_way_would_have_scored_below_the_floor() -> None:
    feats = _population(5)
    con = duckdb.connect()
    con.register("f_arrow", pa.Table.from_pylist([f.as_dict() for f in feats]))
    con.execute("CREATE TABLE feats AS SELECT * FROM f_arrow").fetchall()
    trained = linkage.train(con, "feats", u_max_pairs=2e5)
    model = load_model(trained.settings, trained.tf, version="t", digest="d")
    assert len(model.headroom) == len(model.comparisons) + 1
    rng = random.Random(9)
    # True pairs, pairs within a surname (what blocking finds) and random pairs.
    pairs = [(feats[i], feats[i + 1]) for i in range(0, len(feats), 2)]
    by_surname: dict[str | None, list[MatchFeatures]] = {}
    for f in feats:
        by_surname.setdefault(f.ap1, []).append(f)
    pairs += [(a, b) for group in by_surname.values() for a in group[:6] for b in group[:6] if a is not b]
    pairs += [(rng.choice(feats), rng.choice(feats)) for _ in range(3000)]
    given_up = kept = 0
    for floor in (0.0, 0.2, 0.5, 0.8, 0.95, 0.999, 1.0):
        reach = floor_weight(floor)
        for a, b in pairs:
            whole = score_pair(model, a, b)
            fast = score_pair_reaching(model, a, b, reach)
            if fast is None:
                given_up += 1
                assert whole.probability < floor, (a.unique_id, b.unique_id, floor)
            else:
                kept += 1
                assert fast == whole, (a.unique_id, b.unique_id, floor)
    assert given_up > 1000
    assert kept > 1000
    # The sharpest floor a pair meets: its own score (the bound must hold for every term-frequency value).
    for a, b in pairs:
        whole = score_pair(model, a, b)
        if 0.0 < whole.probability < 1.0:
            assert score_pair_reaching(model, a, b, whole.match_weight) == whole, (a.unique_id, b.unique_id)


def _candidate_query_per_call(probe: MatchFeatures) -> tuple[str, dict[str, Any]]:
    """The builder ``online.candidate_query`` replaced, verbatim (the text built on every call)."""
    branches: list[str] = []
    params: dict[str, Any] = {}
    for pairs, key_columns, missing in _LOOKUPS:
        values = {stored: getattr(probe, probe_col) for probe_col, stored in pairs}
        if any(v is None for v in values.values()):
            continue
        names = {}
        for stored, value in values.items():
            names[stored] = f"p{len(params)}"
            params[names[stored]] = value
        probe_key = probe_key_sql([names[c] for c in key_columns])
        lateral = {s: f":{n}" for s, n in names.items()}
        branches.append(lookup_branch(key_columns, lateral, probe_key, missing=missing))
    if not branches:
        return "", params
    columns = qualified([*_STORED, "record_pk", "patient_id", "person_id"])
    sql = (
        f"SELECT {columns}, "
        f"(SELECT version FROM match_model WHERE active LIMIT 1) AS active_version FROM match_record m "
        f"JOIN ({' UNION '.join(branches)}) c ON c.source = m.source AND c.record_id = m.record_id "
        f"{detail_join()}"
    )
    return sql, params


def test_the_candidates_statement_built_once_per_shape_is_the_per_call_one() -> None:
    feats = _population(6)
    rng = random.Random(4)
    fields = [
        f.name
        for f in dataclasses.fields(MatchFeatures)
        if f.name not in ("unique_id", "source", "record_id")
    ]
    # Probes with any field missing, so that many shapes (which lookups a probe allows) are met.
    probes = feats + [
        dataclasses.replace(f, **dict.fromkeys(rng.sample(fields, rng.randint(1, 6)))) for f in feats
    ]
    shapes = set()
    for probe in probes:
        expected = _candidate_query_per_call(probe)
        assert candidate_query(probe) == expected, probe.unique_id
        shapes.add(expected[0])
    assert len(shapes) > 20
    assert candidate_query(dataclasses.replace(feats[0], **dict.fromkeys(fields))) == ("", {})
