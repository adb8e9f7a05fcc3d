"""Which fields a dataset holds, and the model that fits them. Pure.

The CSV contract lets every identity column but the record id and the names be blank, and some
sources leave one blank throughout (no CURP, sex or entidad at all; a postcode in ``municipio``). A
run trains and scores on the fields present: a comparison on an absent field is left out (it would
only ever reach its null level, and EM cannot estimate what it never sees); the place is compared on
municipio and localidad alone when no record has an entidad (``spec.PLACE_LOCAL``); blocking, EM and
deterministic (prior) rules drop the absent columns and are kept while at least two columns still
fix a pair. A dataset on which no EM rule finds a single pair cannot be trained: ``untrainable_reason``
says why in words (Spanish, then English).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from interop import messages
from interop.matching import blocking, spec

# Columns whose absence changes the model; every other feature column derives from these or is
# always present (a record needs a name and a surname).
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "curp",
    "curp16_calc",
    "given_full",
    "ap1",
    "ap2",
    "dob",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
)
# Derived columns: present exactly when their source column is.
_DERIVED: dict[str, str] = {
    "curp16": "curp",
    "given_main": "given_full",
    "given_rest": "given_full",
    "ph_given": "given_full",
    "ph_ap1": "ap1",
    "ph_ap2": "ap2",
    "dob_year": "dob",
    "dob_md": "dob",
}
# A comparison is kept when the column it needs is present; it is named in words by that column
# (``matching.field.<column>``).
_NEEDS: dict[str, str] = {
    "curp": "curp",
    "given": "given_full",
    "paternal": "ap1",
    "maternal": "ap2",
    "birth_date": "dob",
    "sex": "sexo",
    "place": "entidad",
    "place_local": "municipio",
    "address": "domicilio",
}
# Columns a person can be told about, in words: the catalogue's ``matching.field.<column>``.
_FIELD_WORDS = frozenset(
    ("given_full", "given_main", "ap1", "ap2", "dob", "curp", "sexo", "entidad", "municipio", "domicilio")
)
# The fields whose absence most often leaves EM without pairs, named when a dataset lacks them.
_TELLING = ("curp", "dob", "ap2", "sexo", "entidad")


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns of ``OPTIONAL_COLUMNS`` that at least one record holds."""

    present: frozenset[str]

    @classmethod
    def full(cls) -> Layout:
        return cls(frozenset(OPTIONAL_COLUMNS))

    def has(self, column: str) -> bool:
        return _DERIVED.get(column, column) in self.present

    @property
    def fields(self) -> list[str]:
        """The present columns, in contract order (what a run reports it used)."""
        return [c for c in OPTIONAL_COLUMNS if c in self.present]


# A sibling's given name and a typo in one's own are told apart by the name tables of Mexican records
# together with a CURP or a sex (``conflict.given_variants``; LUIS and LUISA): data with neither gives
# those rules nothing to stand on, and there a given name a clerk's slips explain is a typo. The
# rules that tell relatives apart then step aside (``conflict.hard_conflict``'s ``relatives``; the
# given-name veto and prior of ``spec.VETO_COMPARISONS`` and ``spec.M_CAP``).
RELATIVES_COMPARISONS: tuple[str, ...] = ("curp", "sex")


def tells_relatives(comparisons: Collection[str]) -> bool:
    """Whether a model with these comparisons (names) applies the rules that tell relatives apart."""
    return any(c in comparisons for c in RELATIVES_COMPARISONS)


def model_tells_relatives(settings: dict[str, Any]) -> bool:
    """``tells_relatives`` of a saved Splink model (its settings dictionary)."""
    return tells_relatives({c["output_column_name"] for c in settings["comparisons"]})


# Whether the training data showed households (``households.shows_households``), stored with the model
# so the batch, ``$match`` and a later run apply the same rules; Splink does not know the key
# (``splink_settings``). Only data that cannot tell relatives apart is asked.
HOUSEHOLDS_KEY = "interop_households"


def model_shows_households(settings: dict[str, Any]) -> bool:
    """Whether the rules for relatives have relatives to guard against: a model without the key (one
    trained on data that tells relatives apart, or before the key existed) says yes."""
    return bool(settings.get(HOUSEHOLDS_KEY, True))


def relatives_rules_apply(settings: dict[str, Any]) -> bool:
    """The rules that need relatives in the data (hard conflicts on given names and birth dates, an
    anchor for every automatic link, the household caps on address and place weights) apply."""
    return model_tells_relatives(settings) or model_shows_households(settings)


def splink_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A saved model's settings as Splink reads them (without this module's keys)."""
    return {k: v for k, v in settings.items() if k != HOUSEHOLDS_KEY}


def comparisons_for(layout: Layout) -> tuple[spec.Comparison, ...]:
    """The model's comparisons on the fields present (the place without entidad, and the address with
    its reworded levels, when the entidad is absent)."""
    out: list[spec.Comparison] = []
    for comparison in spec.COMPARISONS:
        if comparison is spec.PLACE and not layout.has("entidad"):
            comparison = spec.PLACE_LOCAL
        if comparison is spec.ADDRESS and not layout.has("entidad"):
            comparison = spec.ADDRESS_LOCAL
        if layout.has(_NEEDS[comparison.name]):
            out.append(comparison)
    return tuple(out)


def _narrow(pairs: Sequence[tuple[str, str]], layout: Layout) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in pairs if layout.has(a) and layout.has(b))


def batch_blocking_sql(layout: Layout) -> list[str]:
    """The batch's blocking rules (``blocking.BLOCKING_RULES`` but ``online_only``) as Splink SQL,
    without the absent columns; a rule left with fewer than two columns is dropped; then the rules of
    ``blocking.BATCH_ONLY_COLUMNS`` whose columns are all present. With no CURP at all, the place rules
    of ``blocking.NO_CURP_COLUMNS`` join them."""
    out: list[str] = []
    for rule in blocking.BLOCKING_RULES:
        if rule.online_only:
            continue
        pairs = _narrow(rule.pairs, layout)
        if not pairs or (len(pairs) < len(rule.pairs) and len(pairs) < 2):
            continue
        sql = " AND ".join(f"l.{a} = r.{b}" for a, b in (*pairs, *_narrow(rule.batch_pairs, layout)))
        if sql not in out:
            out.append(sql)
    out += [_sql(r) for r in _rules(blocking.BATCH_ONLY_COLUMNS, layout, minimum=4) if _sql(r) not in out]
    if not layout.has("curp"):
        out += [_sql(r) for r in _rules(blocking.NO_CURP_COLUMNS, layout, minimum=2) if _sql(r) not in out]
        for crossed in blocking.NO_CURP_CROSSED:
            if len(_narrow(crossed, layout)) == len(crossed):
                out.append(" AND ".join(f"l.{a} = r.{b}" for a, b in crossed))
    return out


def _rules(rules: Sequence[tuple[str, ...]], layout: Layout, *, minimum: int) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for columns in rules:
        kept = tuple(c for c in columns if layout.has(c))
        if len(kept) >= min(minimum, len(columns)) and kept and kept not in out:
            out.append(kept)
    return out


def rule_sql(columns: Sequence[str]) -> str:
    """An EM or prior rule (columns equal on both sides) as Splink SQL."""
    return _sql(columns)


def _sql(columns: Sequence[str]) -> str:
    return " AND ".join(f"l.{c} = r.{c}" for c in columns)


def em_rules(layout: Layout) -> list[tuple[str, ...]]:
    """EM's blocking rules (``blocking.EM_BLOCKING_COLUMNS``) on the columns present; with no CURP at
    all, ``blocking.NO_CURP_EM_COLUMNS`` too; and, when those leave a comparison fixed in every pass,
    a rule of ``blocking.FALLBACK_EM_COLUMNS`` that frees it (from each group, the first present)."""
    rules = primary_em_rules(layout)
    return rules + [
        r for group in blocking.FALLBACK_EM_COLUMNS for r in fallback_rules(layout, rules, group)[:1]
    ]


def primary_em_rules(layout: Layout) -> list[tuple[str, ...]]:
    """The EM rules but the fallbacks: a dataset none of them finds a pair in is untrainable (the
    fallbacks free comparisons these fix; on their own, everyone at one address, they teach nothing)."""
    extra = () if layout.has("curp") else blocking.NO_CURP_EM_COLUMNS
    return _rules((*blocking.EM_BLOCKING_COLUMNS, *extra), layout, minimum=2)


def fallback_rules(
    layout: Layout, rules: Sequence[tuple[str, ...]], candidates: Sequence[tuple[str, ...]] | None = None
) -> list[tuple[str, ...]]:
    """The rules of ``candidates`` (every ``blocking.FALLBACK_EM_COLUMNS`` by default) on columns
    present that free a comparison every rule of ``rules`` fixes; none when none is fixed."""
    fixed = untrained_comparisons(layout, rules)
    if candidates is None:
        candidates = [columns for group in blocking.FALLBACK_EM_COLUMNS for columns in group]
    return [
        columns
        for columns in candidates
        if all(layout.has(c) for c in columns)
        and columns not in rules
        and any(not (set(columns) & c.columns) for c in fixed)
    ]


def untrained_comparisons(layout: Layout, rules: Sequence[tuple[str, ...]]) -> list[spec.Comparison]:
    """The comparisons of ``layout`` that every rule of ``rules`` fixes (blocks on a column they
    read): EM never estimates them, and their levels would keep Splink's default m."""
    return [c for c in comparisons_for(layout) if all(set(r) & c.columns for r in rules)]


def em_rules_sql(layout: Layout) -> list[str]:
    return [_sql(r) for r in em_rules(layout)]


def deterministic_rules_sql(layout: Layout) -> list[str]:
    """Rules for the prior (``blocking.DETERMINISTIC_COLUMNS``) on the columns present: names and
    birth date alone when there is no CURP or entidad."""
    return [_sql(r) for r in _rules(blocking.DETERMINISTIC_COLUMNS, layout, minimum=3)]


def untrainable_reason(layout: Layout, pairs_per_rule: Collection[int]) -> dict[str, object] | None:
    """Why the model cannot be trained on this dataset (the parameters of the catalogue's
    ``matching.untrainable``, in every language), or None when it can: no EM rule applies, or none
    finds a single pair of records."""
    rules = primary_em_rules(layout)
    if rules and any(n > 0 for n in pairs_per_rule):
        return None
    lacking = [c for c in _TELLING if not layout.has(c)]
    return {
        "fields": messages.each(lambda lang: _fields(rules, lang)),
        "lacks": messages.each(lambda lang: _lacks(lacking, lang)),
    }


def fixed_reason(fixed: Sequence[spec.Comparison]) -> dict[str, object]:
    """The parameters of ``matching.untrainable_fixed``: the comparisons no EM pass could estimate."""

    def words(lang: str) -> str:
        named = (_word(_NEEDS.get(c.name, c.name), lang) for c in fixed)
        return messages.text("matching.untrainable.and", lang).join(dict.fromkeys(named))

    return {"fields": messages.each(words)}


def _word(column: str, lang: str) -> str:
    return messages.text(f"matching.field.{column}", lang) if column in _FIELD_WORDS else column


def _fields(rules: list[tuple[str, ...]], lang: str) -> str:
    both = messages.text("matching.untrainable.and", lang)
    described = [both.join(dict.fromkeys(_word(c, lang) for c in r)) for r in rules] or [
        messages.text("matching.untrainable.default_fields", lang)
    ]
    return messages.text("matching.untrainable.nor", lang).join(described)


def _lacks(lacking: list[str], lang: str) -> str:
    if not lacking:
        return ""
    return messages.text(
        "matching.untrainable.lacks", lang, fields=", ".join(_word(c, lang) for c in lacking)
    )
