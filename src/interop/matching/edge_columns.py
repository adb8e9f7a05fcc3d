"""What the batch's edge statement (``batch.predict``) tells of each scored pair beside its score: whether
it may be linked automatically (``linkable_sql``: an anchor, no veto, the look-alike rules) and whether
a rule settles it as two people (``apart_sql``). SQL over a prediction row ``pr`` and its records'
features ``a`` and ``b``; the rules themselves live in ``spec``, ``lookalike`` and ``conflict``, the
guards that keep their costly parts off the pairs they cannot hold in ``pair_guards``. Whether the
given names may settle the pair (``named``) is ``pair_guards.named_sql``.
"""

from __future__ import annotations

from typing import Any

from interop.matching import linkage, spec
from interop.matching.conflict import settled_apart_sql
from interop.matching.given_names import slip_at_a_space_sql
from interop.matching.layout import relatives_rules_apply, tells_relatives
from interop.matching.lookalike import date_anchors_nothing_sql
from interop.matching.pair_guards import may_settle_apart_sql


def apart_sql(*, dates: bool) -> str:
    """``conflict.settled_apart_sql`` over a prediction row's records (features ``a`` and ``b``), never
    null. Told here, where the pair already meets its records, rather than by joining every pair to
    both records again in the assigning step (at 1 M, ~1.2 M pairs: the step's largest statement).
    Only pairs whose CURPs or birth dates differ are asked: a settled pair has one or the other
    (``kept_apart`` needs CURPs that differ, ``dates_settle_apart`` dates that differ), and in a
    projection DuckDB would otherwise work out the date rules for every pair. ``dates``: the rules
    for relatives apply (``layout.relatives_rules_apply``)."""
    rule = settled_apart_sql("a", "b", dates=dates)
    return f"coalesce(CASE WHEN {may_settle_apart_sql(dates=dates)} THEN {rule} END, false)"


def linkable_sql(settings: dict[str, Any]) -> str:
    """Whether a prediction row (``pr``, its records' features ``a`` and ``b``) may be linked
    automatically: an anchor comparison agrees (``spec.ANCHOR_COMPARISONS``; a birth date differing in
    the year only under the same name and address, or years apart with nothing else confirming one
    person, anchors nothing: ``lookalike.date_anchors_nothing``;
    with no CURP in the model and a birth date missing, ``spec.FIELD_ANCHOR_COMPARISONS`` all agreeing)
    and no veto comparison is at its "else" level (``spec.VETO_COMPARISONS``; given names one keystroke
    apart at a space are not vetoed: ``given_names.slip_at_a_space``). Predictions keep each
    comparison's weight, not its level: the "else" level is told by its weight. Comparisons the model
    left out count as absent. On data with no relatives to tell apart (``layout.relatives_rules_apply``)
    neither anchor nor veto is asked: the probability decides."""
    if not relatives_rules_apply(settings):
        return "true"
    present = {c["output_column_name"] for c in settings["comparisons"]}
    anchors = []
    for c in spec.ANCHOR_COMPARISONS:
        if c not in present:
            continue
        extra = f" AND NOT {date_anchors_nothing_sql('a', 'b')}" if c == "birth_date" else ""
        anchors.append(f"(pr.mw_{c} > 0{extra})")
    if "curp" not in present and all(c in present for c in spec.FIELD_ANCHOR_COMPARISONS):
        fields = " AND ".join(f"pr.mw_{c} > 0" for c in spec.FIELD_ANCHOR_COMPARISONS)
        anchors.append(f"((a.dob IS NULL OR b.dob IS NULL) AND {fields})")
    anchor = "(" + (" OR ".join(anchors) or "false") + ")"
    if not tells_relatives(present):  # the veto steps aside (``layout.tells_relatives``)
        return anchor
    slip = slip_at_a_space_sql("a.given_full", "b.given_full")  # asked only at the "else" level
    return anchor + "".join(
        f" AND (CASE WHEN abs(pr.mw_{c} - ({linkage.else_weight(settings, c)!r})) > 1e-6 THEN true "
        f"ELSE {slip if c == 'given' else 'false'} END)"
        for c in spec.VETO_COMPARISONS
        if c in present
    )
