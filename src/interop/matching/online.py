"""Online matching: candidates from the indexed blocking keys in ``match_record`` (the global key table;
their other columns from ``match_record_detail``, one partition per candidate's entidad), scored in
Python with the active model (the same m/u and term frequencies the batch used).

Grades: ``certain`` as the batch would auto-link (auto threshold, an anchor, no hard conflict);
``probable`` / ``possible`` in the upper / lower half of the review band; ``certainly-not`` for a
candidate whose golden person a reviewer declared another person than the probe's (a MANUAL NO_MATCH
in either direction between a record of one and the other person), or for a pair a rule settles as
two people (``conflict.settled_apart``: a pension-roll candidate when the probe names its own padrón
record and their settled CURPs differ; birth dates no slip explains). The probe's person is the
person of the stored records it names (a padrón record id, a registry Patient id) or, when it names
none, of its best ``certain`` candidate. Certainly-not candidates are listed after all others.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching import models_store
from interop.matching.blocking import BLOCKING_RULES, index_for, key_sql, probe_key_sql
from interop.matching.conflict import ROLL_SOURCE, Signature, hard_conflict, settled_apart
from interop.matching.features import FEATURE_COLUMNS, MatchFeatures, features_of
from interop.matching.given_names import slip_at_a_space
from interop.matching.layout import model_shows_households, model_tells_relatives
from interop.matching.lookalike import date_anchors_nothing
from interop.matching.models_store import LoadedModel
from interop.matching.names_of_another import names_owned_elsewhere
from interop.matching.record_columns import detail_join, qualified
from interop.matching.schemas import FieldEvidenceRead, Grade, IdentityProbe, OnlineCandidate
from interop.matching.scoring import PairScore, floor_weight, grade, score_pair_reaching
from interop.matching.spec import ANCHOR_COMPARISONS, FIELD_ANCHOR_COMPARISONS, VETO_COMPARISONS

PER_RULE_LIMIT = 20
_GENERIC_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")
_DEFAULT_PLANS = text("SET LOCAL plan_cache_mode = DEFAULT")
_STORED = [c for c in FEATURE_COLUMNS if c != "unique_id"]


def probe_features(probe: IdentityProbe) -> MatchFeatures:
    return features_of(
        source="probe",
        record_id="-",
        curp=probe.curp,
        given_names=probe.given_names,
        paternal_surname=probe.paternal_surname,
        maternal_surname=probe.maternal_surname,
        birth_date=probe.birth_date,
        sex=probe.sex,
        entidad=probe.entidad,
        municipio=probe.municipio,
        localidad=probe.localidad,
        domicilio=probe.domicilio,
    )


Lookup = tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]


def _lookups() -> list[Lookup]:
    """Each rule in both orientations (the probe on either side), with the index key it looks up by and
    the stored columns its records lack (``BlockingRule.stored_missing``)."""
    out: list[Lookup] = []
    seen: set[frozenset[tuple[str, str]]] = set()
    for rule in BLOCKING_RULES:
        for pairs in (rule.pairs, tuple((b, a) for a, b in rule.pairs)):
            # A symmetric rule (swapped surnames) reads the same both ways round: one lookup.
            if frozenset(pairs) not in seen:
                seen.add(frozenset(pairs))
                key = index_for([stored for _, stored in pairs], rule.stored_missing)[1]
                out.append((pairs, key, rule.stored_missing))
    return out


_LOOKUPS = _lookups()
# Per lookup, each stored column and the probe column bound to it.
_LOOKUP_BINDS = [{stored: probe_col for probe_col, stored in pairs} for pairs, _, _ in _LOOKUPS]
# The same lookups, for the calibration's set-based candidate query (``calibration_labels.candidates_of``).
LOOKUPS = _LOOKUPS


@functools.lru_cache(maxsize=512)
def statement(sql: str) -> TextClause:
    """One text clause per distinct SQL string: building one parses the string for its binds, a few
    milliseconds of CPU for the candidates' query on every call. The online queries have few shapes
    (which blocking rules a probe's values allow; which sources its candidates come from)."""
    return text(sql)


def lookup_branch(
    key_columns: Sequence[str],
    probe: Mapping[str, str],
    probe_key: str,
    columns: str = "source, record_id",
    missing: Sequence[str] = (),
) -> str:
    """One blocking index's lookup in ``match_record`` (at most ``PER_RULE_LIMIT`` records): its key hash
    equal to ``probe_key`` (the probe's values hashed the same way) and each stored column equal to the
    probe's SQL value in ``probe`` (bound parameters for one probe, a lateral row for many), over the
    records lacking ``missing`` (the predicate of its partial index); the found records' ``columns``."""
    conditions = [f"{key_sql(key_columns)} = {probe_key}"]
    conditions += [f"{stored} = {value}" for stored, value in probe.items()]
    conditions += [f"{column} IS NULL" for column in missing]
    where = " AND ".join(conditions)
    return f"(SELECT {columns} FROM match_record WHERE {where} LIMIT {PER_RULE_LIMIT})"


def candidate_query(probe: MatchFeatures) -> tuple[str, dict[str, Any]]:
    """One UNION of index lookups, one per rule and orientation whose probe values are all known."""
    known = tuple(all(getattr(probe, c) is not None for c in lookup.values()) for lookup in _LOOKUP_BINDS)
    sql, binds = _candidate_shape(known)
    return sql, {name: getattr(probe, probe_col) for name, probe_col in binds}


@functools.lru_cache(maxsize=256)
def _candidate_shape(known: tuple[bool, ...]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The candidates' statement for the lookups whose probe values are ``known`` (one flag per entry of
    ``_LOOKUPS``), and its parameters' names with the probe column each binds. Probes have a few such
    shapes: the text is built once per shape, not on every call (~0.2 ms of string work a call)."""
    branches: list[str] = []
    binds: list[tuple[str, str]] = []
    for (_, key_columns, missing), lookup_binds, present in zip(_LOOKUPS, _LOOKUP_BINDS, known, strict=True):
        if not present:
            continue
        names = {}  # stored column -> its bound parameter's name
        for stored, probe_col in lookup_binds.items():
            names[stored] = f"p{len(binds)}"
            binds.append((names[stored], probe_col))
        probe_key = probe_key_sql([names[c] for c in key_columns])
        lateral = {s: f":{n}" for s, n in names.items()}
        branches.append(lookup_branch(key_columns, lateral, probe_key, missing=missing))
    if not branches:
        return "", ()
    columns = qualified([*_STORED, "record_pk", "patient_id", "person_id"])
    # The active model's version rides along (one round trip less per call, and the version read in the
    # same snapshot as the candidates it scores). The detail join names each candidate's partition key:
    # run-time pruning opens only the partitions of the candidates' entidades.
    sql = (
        f"SELECT {columns}, "
        f"(SELECT version FROM match_model WHERE active LIMIT 1) AS active_version FROM match_record m "
        f"JOIN ({' UNION '.join(branches)}) c ON c.source = m.source AND c.record_id = m.record_id "
        f"{detail_join()}"
    )
    return sql, tuple(binds)


def _grade(
    scored: PairScore,
    *,
    auto_threshold: float,
    review_threshold: float,
    conflict: bool = False,
    lookalike: bool = False,
    undated: bool = False,
    relatives: bool = True,
    households: bool = True,
    given_slip: bool = False,
) -> Literal["certain", "probable", "possible"]:
    """As the batch decides (``edge_columns.linkable_sql``): certain needs the auto threshold, an anchor (CURP
    or birth date; with ``lookalike``, a birth date differing in the year alone under the same name
    and address, or years apart with nothing else confirming one person,
    ``lookalike.date_anchors_nothing``, anchors nothing; with no CURP in the model and a birth date
    missing on either side, ``undated``, names and address all agreeing anchor:
    ``spec.FIELD_ANCHOR_COMPARISONS``), no veto comparison at its "else"
    level (``given_slip``: the given names differ by a slip at a space, ``given_names.slip_at_a_space``,
    and their comparison's "else" level vetoes nothing) and no hard conflict (``conflict.hard_conflict``:
    e.g. given names that are not variants of each other, settled CURPs that differ). Without
    ``relatives`` (``layout.tells_relatives``) the veto steps aside: the hard conflict alone keeps
    unrelated given names apart; without ``households`` either (``layout.relatives_rules_apply``) no
    anchor is asked: the probability decides."""
    graded = grade(scored.probability, auto_threshold=auto_threshold, review_threshold=review_threshold)
    anchored = any(
        e.weight > 0
        for e in scored.evidence
        if e.comparison in ANCHOR_COMPARISONS and not (lookalike and e.comparison == "birth_date")
    )
    if not relatives and not households:
        anchored = True
    compared = {e.comparison: e.weight for e in scored.evidence}
    if not anchored and undated and "curp" not in compared:
        anchored = all(compared.get(c, 0.0) > 0 for c in FIELD_ANCHOR_COMPARISONS)
    vetoed = relatives and any(
        e.level == "else" and not (given_slip and e.comparison == "given")
        for e in scored.evidence
        if e.comparison in VETO_COMPARISONS
    )
    return "probable" if graded == "certain" and (conflict or vetoed or not anchored) else graded


def pair_grade(
    scored: PairScore,
    a: MatchFeatures,
    b: MatchFeatures,
    *,
    relatives: bool,
    households: bool,
    auto_threshold: float,
    review_threshold: float,
    left_signature: Signature | None = None,
    others: Sequence[MatchFeatures] = (),
) -> Grade:
    """The grade of a scored pair under every rule the batch applies (``kept_apart``, hard conflict,
    relatives' look-alike dates, anchors, veto) with the model's rules for relatives (``relatives``:
    ``layout.model_tells_relatives``, ``households``: ``layout.model_shows_households``). One function
    for ``$match`` and the calibration fit, so that a pair the fit calls held is one ``$match`` holds.
    ``left_signature``: ``a``'s, when it stands for another record (a probe naming its roll record).
    ``others``: the records seen beside the pair (``$match``'s other candidates): a certain pair one of
    whose records carries another person's given names (``names_of_another.names_owned_elsewhere``) is
    probable, as the batch sends it to review."""
    sa, sb = left_signature or Signature.of(a), Signature.of(b)
    if settled_apart(sa, sb, relatives=relatives, households=households):
        return "certainly-not"
    graded = _grade(
        scored,
        auto_threshold=auto_threshold,
        review_threshold=review_threshold,
        conflict=hard_conflict(sa, sb, relatives=relatives, households=households),
        lookalike=date_anchors_nothing(a, b),
        undated=a.dob is None or b.dob is None,
        relatives=relatives,
        households=households,
        given_slip=slip_at_a_space(a.given_full, b.given_full),
    )
    if graded == "certain" and (relatives or households) and names_owned_elsewhere(a, b, others):
        return "probable"
    return graded


async def match(
    session: AsyncSession,
    *,
    model: LoadedModel | None,
    probe: IdentityProbe,
    limit: int,
    auto_threshold: float,
    review_threshold: float,
    minimum: float | None = None,
    generic_plans_set: bool = False,
) -> list[OnlineCandidate]:
    """Candidates of ``probe`` scored with ``model`` (None: the active model, none before the first run),
    best first. ``generic_plans_set``: the caller's transaction already runs on generic plans
    (``service.match_online(generic_plans=True)``), so the candidate query neither sets nor resets it."""
    features = probe_features(probe)
    sql, params = candidate_query(features)
    if not sql:
        return []
    # One plan per statement shape: left to itself PostgreSQL plans the 22 lookups custom on most calls
    # (five per shape and connection before it weighs a generic plan), 2-10 ms of planning for ~1 ms
    # of index reads. Every branch is a hashed-key index lookup with a LIMIT, so the generic plan suits
    # any value (docs/scale.md, "the surprise"). LOCAL and reset at once: the caller's other statements
    # (a visit's referral writes) keep theirs.
    if not generic_plans_set:
        await session.execute(_GENERIC_PLANS)
    rows = (await session.execute(statement(sql), params)).all()
    if not generic_plans_set:
        await session.execute(_DEFAULT_PLANS)
    if model is None and rows:  # the active one, as the candidates' query read it
        version = rows[0][len(_STORED) + 3]
        model = None if version is None else await models_store.get_model(session, version=version)
    if model is None:
        return []
    floor = review_threshold if minimum is None else minimum
    # A probe naming its padrón record stands for that pension-roll record.
    probe_signature = replace(
        Signature.of(features), source=ROLL_SOURCE if probe.roll_record_id else features.source
    )
    out: list[OnlineCandidate] = []
    relatives = model_tells_relatives(model.settings)
    households = model_shows_households(model.settings)
    n = len(_STORED)
    stored_all = [MatchFeatures(f"{row[0]}|{row[1]}", *row[:n]) for row in rows]
    # A candidate that cannot reach the floor is given up part-way (``score_pair_reaching``).
    reach = floor_weight(floor)
    for row, stored in zip(rows, stored_all, strict=True):
        scored = score_pair_reaching(model.scoring, features, stored, reach)
        if scored is None or scored.probability < floor:
            continue
        record_pk, patient_id, person_id = row[n], row[n + 1], row[n + 2]
        graded = pair_grade(
            scored,
            features,
            stored,
            left_signature=probe_signature,
            others=stored_all,
            relatives=relatives,
            households=households,
            auto_threshold=auto_threshold,
            review_threshold=review_threshold,
        )
        out.append(
            OnlineCandidate(
                source=stored.source,
                record_id=stored.record_id,
                record_pk=record_pk,
                patient_id=patient_id if isinstance(patient_id, uuid.UUID) else None,
                person_id=person_id if isinstance(person_id, uuid.UUID) else None,
                probability=scored.probability,
                match_weight=scored.match_weight,
                grade=graded,
                model_version=model.version,
                evidence=[FieldEvidenceRead(**e.as_dict()) for e in scored.evidence],
            )
        )
    out.sort(key=lambda c: (c.grade == "certainly-not", -c.match_weight, c.source, c.record_id))
    out = await _grade_refused(session, probe, out)
    return out[:limit]


# The two lookups ``$match`` runs per call besides the candidates (plans: tests/matching/test_match_plans.py).
NAMED_PERSONS_SQL = text(
    "SELECT m.person_id FROM match_record m WHERE m.person_id IS NOT NULL AND ("
    "(m.source = 'roll' AND m.record_id = :roll) OR (m.source = 'patients' AND m.record_id IN "
    "(SELECT record_id FROM identity_record WHERE source = 'patients' AND patient_id = :pid)))"
)
# Links by person, through each person's records (``match_record.person_id``, the global index the
# partitioned links need, ``links.py``): each record's links are then read in its own partition.
REFUSED_SQL = text(
    "SELECT m.person_id, l.person_id FROM match_record m JOIN match_link l "
    "ON l.pkey = m.pkey AND l.source = m.source AND l.record_id = m.record_id "
    "WHERE (m.person_id = ANY(:anchors) OR m.person_id = ANY(:others)) "
    "AND l.state = 'NO_MATCH' AND l.origin = 'MANUAL' AND ("
    "(l.person_id = ANY(:others) AND m.person_id = ANY(:anchors)) OR "
    "(l.person_id = ANY(:anchors) AND m.person_id = ANY(:others)))"
)


async def _named_persons(session: AsyncSession, probe: IdentityProbe) -> set[uuid.UUID]:
    """Persons of the stored records the probe names by identifier."""
    if probe.roll_record_id is None and probe.patient_id is None:
        return set()
    rows = await session.execute(NAMED_PERSONS_SQL, {"roll": probe.roll_record_id, "pid": probe.patient_id})
    return {r[0] for r in rows.all()}


async def _grade_refused(
    session: AsyncSession, probe: IdentityProbe, ranked: list[OnlineCandidate]
) -> list[OnlineCandidate]:
    """``ranked`` with the candidates a reviewer declared another person graded certainly-not (and
    moved after the others)."""
    anchors = await _named_persons(session, probe)
    if not anchors:
        best = next((c for c in ranked if c.grade == "certain" and c.person_id is not None), None)
        anchors = {best.person_id} if best is not None and best.person_id is not None else set()
    others = {c.person_id for c in ranked if c.person_id is not None} - anchors
    if not anchors or not others:
        return ranked
    rows = await session.execute(REFUSED_SQL, {"anchors": list(anchors), "others": list(others)})
    refused = {p for pair in rows.all() for p in pair} - anchors
    if not refused:
        return ranked
    graded = [
        c.model_copy(update={"grade": "certainly-not"}) if c.person_id in refused else c for c in ranked
    ]
    return [c for c in graded if c.grade != "certainly-not"] + [
        c for c in graded if c.grade == "certainly-not"
    ]
