"""The labels the score calibration (``calibration``) is fitted on, since production has no truth file
(docs/decisions.md, "Calibrated scores"):

- **what the data settles**: a sample of records carrying a CURP with a valid check digit as written,
  and the candidates the online blocking finds for each (``settled_same``). The same CURP is one person
  (``curp_same``) when the records' birth dates are its date or a slip of it; CURPs differing beyond the
  homoclave, each stating its own record's birth date, are two (``curp_apart``, as
  ``conflict.curps_settle_apart``; the same first 16 characters with another homoclave is left out: a
  reissued CURP or true namesakes, not settled). Each such pair gives two labels: in its own stratum at
  its raw weight (the rule's word), and — scored again *as if neither record had a CURP* — in the
  stratum and at the weight a CURP-less pair with the same names, date, sex and place would have. That
  second label is what calibrates the pairs the data does not settle; it assumes that whether a record
  carries a CURP says nothing of whether the pair is one person.
- **reviewers' decisions** (``match_review`` decided link / not-link), each counting ``REVIEW_COUNT``:
  they are labels of exactly the pairs the queue shows.

Reads only; ``calibration_fit`` fits, stores and applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.identity.curp import validate_curp
from interop.matching import online
from interop.matching.calibration import Label, LabelKind, raw_probability, stratum_of
from interop.matching.conflict import Signature, kept_apart, settled_apart
from interop.matching.distances import levenshtein
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, curp_birth_date, features_of
from interop.matching.layout import model_shows_households, model_tells_relatives
from interop.matching.models import MatchReview
from interop.matching.models_store import LoadedModel
from interop.matching.record_columns import DETAIL_COLUMNS, detail_join, detail_lookup, qualified
from interop.matching.scoring import score_pair

REVIEW_COUNT = 3.0
STORED_COLUMNS = [c for c in FEATURE_COLUMNS if c != "unique_id"]
_KEY_STORED = [c for c in STORED_COLUMNS if c not in DETAIL_COLUMNS]

# The sampled records: ``identity_record``'s current records with a CURP, read from the key tables alone
# (the view's record id and CURP are the key row's, and every key row names its current version), so
# the sample does not join every record's version row to be drawn (at 1 M: 2.5 s, most of it that join).
# The record id breaks a tie of two hashes.
SAMPLE_SQL = (
    "SELECT source, record_id, curp FROM ("
    "SELECT 'roll'::text AS source, record_id, curp FROM roll_record_key WHERE curp IS NOT NULL "
    "UNION ALL SELECT 'patients'::text, record_id, curp FROM registry_patient_key WHERE curp IS NOT NULL"
    ") k ORDER BY hashtext(source || '|' || record_id), source, record_id LIMIT :n"
)


def features_of_row(values: Sequence[Any]) -> MatchFeatures:
    """A stored feature row (``STORED_COLUMNS`` in order) as features."""
    return MatchFeatures(f"{values[0]}|{values[1]}", *values)


async def settled_labels(
    session: AsyncSession, *, model: LoadedModel, sample: int, auto_threshold: float
) -> list[Label]:
    """Labels of pairs whose CURPs settle them (module docstring), from ``sample`` records carrying a
    valid CURP as written (``identity_record``: the compared CURP of a record with a mistyped birth
    date is dropped from its features, and leaving those records out would leave out the duplicates
    with date errors the queue is full of)."""
    written = await written_curps(session, SAMPLE_SQL, {"n": sample})
    probes = await stored_features(session, list(written))
    found = await candidates_of(session, list(probes.values()))
    pairs: dict[tuple[str, str], tuple[MatchFeatures, MatchFeatures]] = {}
    for a in probes.values():
        for b in found.get(a.unique_id, []):
            key = (min(a.unique_id, b.unique_id), max(a.unique_id, b.unique_id))
            if a.unique_id != b.unique_id:
                pairs.setdefault(key, (a, b))
    others = {(b.source, b.record_id) for _, b in pairs.values()} - set(written)
    written.update(await _curps_of(session, others))
    labels: list[Label] = []
    relatives, households = model_tells_relatives(model.settings), model_shows_households(model.settings)
    for a, b in pairs.values():
        same = settled_same(written.get((a.source, a.record_id)), a, written.get((b.source, b.record_id)), b)
        if same is None:
            continue
        kind: LabelKind = "curp_same" if same else "curp_apart"
        full = score_pair(model.scoring, a, b)
        # One pair's signatures, read by both rules (each is a few CURP and name reads per record).
        sa, sb = Signature.of(a), Signature.of(b)
        apart = settled_apart(sa, sb, relatives=relatives, households=households)
        own = stratum_of(full.evidence, apart=apart)
        if own in ("curp_same", "curp_apart", "apart"):
            labels.append(Label(own, full.match_weight, same, kind))
        if masked_unlike_queue(sa, sb):
            continue
        a0, b0 = replace(a, curp=None, curp16=None), replace(b, curp=None, curp16=None)
        masked = score_pair(model.scoring, a0, b0)
        # Graded as ``$match`` grades it, with the model's rules for relatives and ``a``'s other
        # candidates as the records seen beside the pair (a pair those rules would not hold is not
        # ``held`` here either).
        graded = online.pair_grade(
            masked,
            a0,
            b0,
            relatives=relatives,
            households=households,
            auto_threshold=auto_threshold,
            review_threshold=0.0,
            others=found.get(a.unique_id, []),
        )
        held = masked.probability >= auto_threshold and graded != "certain"
        stratum = stratum_of(masked.evidence, held=held, apart=graded == "certainly-not")
        labels.append(Label(stratum, masked.match_weight, same, kind))
    return labels


def masked_unlike_queue(a: Signature, b: Signature) -> bool:
    """Two pension-roll records whose CURPs settle them apart (``conflict.kept_apart``) give no label
    *as if neither had a CURP*: the queue never shows them (two pensioners, kept apart without a
    reviewer), and with their CURPs masked they read as the look-alike pairs it does show — namesake
    relatives at one address, all two people. On the blind population (bench/match/RESULTS.md, session
    14) such roll pairs were 339 of the look-alike pairs carrying CURPs on both records, none one
    person, and pulled the look-alike stratum's figure down to 0.375 where the queue's pairs were one
    person 0.614 of the time."""
    return kept_apart(a, b)


async def candidates_of(session: AsyncSession, probes: list[MatchFeatures]) -> dict[str, list[MatchFeatures]]:
    """The candidates ``online.candidate_query`` finds for each probe (by its ``unique_id``), for all
    probes in one query: the same index lookups, each probe's in a lateral subquery (a lookup whose
    probe value is missing finds nothing, as the per-probe query leaves it out).

    Its plan does not depend on statistics (the run calls it right after writing, before autovacuum
    has seen anything): the lookups are materialised, so each runs once per probe, and each
    candidate's detail is one read by its key in its own partition (``detail_lookup``). Planned as
    one join, a first run's fresh partitions made PostgreSQL estimate the key-detail join at one row
    and repeat every probe's lookups for each record of it (minutes for a thousand records)."""
    if not probes:
        return {}
    columns = sorted({probe_col for pairs, _, _ in online.LOOKUPS for probe_col, _ in pairs})
    found = ", ".join(["pkey", *_KEY_STORED])
    branches = []
    for pairs, key_columns, missing in online.LOOKUPS:
        of_stored = {stored: probe_col for probe_col, stored in pairs}
        probe_key = " || '|' || ".join(f"p.{of_stored[c]}" for c in key_columns)
        lateral = {stored: f"p.{probe_col}" for probe_col, stored in pairs}
        branches.append(
            online.lookup_branch(
                key_columns, lateral, f"hashtextextended({probe_key}, 0)", columns=found, missing=missing
            )
        )
    unnest = ", ".join(f"CAST(:{c} AS text[])" for c in ("uid", *columns))
    sql = (
        f"WITH p AS (SELECT * FROM unnest({unnest}) AS p(uid, {', '.join(columns)})), "
        f"c AS MATERIALIZED (SELECT p.uid, f.* FROM p CROSS JOIN LATERAL ({' UNION '.join(branches)}) f) "
        f"SELECT c.uid, {qualified(STORED_COLUMNS, key='c')} FROM c {detail_lookup('c')}"
    )
    params: dict[str, Any] = {"uid": [a.unique_id for a in probes]}
    for c in columns:
        params[c] = [getattr(a, c) for a in probes]
    out: dict[str, list[MatchFeatures]] = {}
    for row in (await session.execute(text(sql), params)).all():
        out.setdefault(str(row[0]), []).append(features_of_row(row[1:]))
    return out


def settled_same(curp_a: str | None, a: MatchFeatures, curp_b: str | None, b: MatchFeatures) -> bool | None:
    """What two written CURPs with valid check digits settle: one person when they are the same CURP
    and its birth date is one record's while the other's is that date, missing or a slip of it (a
    relative's CURP copied reads years apart); two people when they differ beyond the homoclave and
    each states its own record's birth date; otherwise nothing (None)."""
    if curp_a is None or curp_b is None:
        return None
    if curp_a == curp_b:
        stated = curp_birth_date(curp_a)
        dates = [d for d in (a.dob, b.dob) if d is not None]
        if stated not in dates and dates:
            return None
        return True if all(_slip_of(stated, d) for d in dates) else None
    if curp_a[:16] == curp_b[:16]:
        return None
    if a.dob == curp_birth_date(curp_a) and b.dob == curp_birth_date(curp_b):
        return False
    return None


def _slip_of(stated: str, dob: str) -> bool:
    return dob == stated or dob[:4] == stated[:4] or levenshtein(dob, stated) <= 1


async def written_curps(
    session: AsyncSession, sql: str, params: dict[str, Any]
) -> dict[tuple[str, str], str]:
    rows = (await session.execute(text(sql), params)).all()
    return {(str(s), str(r)): str(c) for s, r, c in rows if validate_curp(c).valid}


async def _curps_of(session: AsyncSession, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The written CURP of each record in ``keys`` that has a valid one."""
    out: dict[tuple[str, str], str] = {}
    for source in {s for s, _ in keys}:
        ids = sorted(r for s, r in keys if s == source)
        out.update(
            await written_curps(
                session,
                "SELECT source, record_id, curp FROM identity_record WHERE source = CAST(:s AS text) "
                "AND record_id = ANY(CAST(:ids AS text[])) AND curp IS NOT NULL",
                {"s": source, "ids": ids},
            )
        )
    return out


async def stored_features(
    session: AsyncSession, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], MatchFeatures]:
    rows = await session.execute(
        text(
            f"SELECT {qualified(STORED_COLUMNS)} FROM match_record m JOIN unnest("
            "CAST(:s AS text[]), CAST(:r AS text[])) AS k(source, record_id) "
            f"ON m.source = k.source AND m.record_id = k.record_id {detail_lookup()}"
        ),
        {"s": [k[0] for k in keys], "r": [k[1] for k in keys]},
    )
    return {(f.source, f.record_id): f for f in (features_of_row(r) for r in rows.all())}


async def decision_labels(session: AsyncSession, *, model: LoadedModel, auto_threshold: float) -> list[Label]:
    """Reviewers' decisions as labels; a review scored by another model version is scored again with
    this one from its records' stored features (a visit's side from its snapshot)."""
    reviews = (
        await session.execute(
            select(MatchReview).where(
                MatchReview.status == "decided", MatchReview.decision.in_(("link", "not-link"))
            )
        )
    ).scalars()
    labels: list[Label] = []
    for r in reviews:
        same = r.decision == "link"
        kind: LabelKind = "review_link" if same else "review_not_link"
        if r.model_version == model.version and r.match_weight is not None:
            evidence: list[Any] = r.evidence if isinstance(r.evidence, list) else []
            held = raw_probability(r.match_weight) >= auto_threshold
            labels.append(Label(stratum_of(evidence, held=held), r.match_weight, same, kind, REVIEW_COUNT))
            continue
        a = await _side(session, r.left_source, r.left_record_id, r.left_snapshot)
        b = await _side(session, r.right_source, r.right_record_id, None)
        if a is None or b is None:
            continue
        scored = score_pair(model.scoring, a, b)
        held = scored.probability >= auto_threshold
        labels.append(
            Label(stratum_of(scored.evidence, held=held), scored.match_weight, same, kind, REVIEW_COUNT)
        )
    return labels


async def _side(
    session: AsyncSession, source: str, record_id: str, snapshot: dict[str, Any] | None
) -> MatchFeatures | None:
    if snapshot:
        born = snapshot.get("fecha_nacimiento")
        return features_of(
            source=source,
            record_id=record_id,
            curp=snapshot.get("curp"),
            given_names=snapshot.get("nombre") or "",
            paternal_surname=snapshot.get("primer_apellido") or "",
            maternal_surname=snapshot.get("segundo_apellido"),
            birth_date=date.fromisoformat(born) if born else None,
            sex=snapshot.get("sexo"),
            entidad=snapshot.get("entidad"),
            municipio=snapshot.get("municipio"),
            localidad=snapshot.get("localidad"),
            domicilio=snapshot.get("domicilio"),
        )
    row = (
        await session.execute(
            text(
                f"SELECT {qualified(STORED_COLUMNS)} FROM match_record m {detail_join()} "
                "WHERE m.source = :s AND m.record_id = :r"
            ),
            {"s": source, "r": record_id},
        )
    ).first()
    return None if row is None else features_of_row(row)
