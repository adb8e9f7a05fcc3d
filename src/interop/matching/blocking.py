"""Blocking: which pairs are compared at all. Each rule is written once, as column pairs, and read three
ways — as Splink SQL for the batch, as index lookups for the online path, and (EM, deterministic rules)
for training. Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """A blocking rule: pairs of columns (left, right) that must be equal.

    Every rule is an equi-join, so the online path can look candidates up by index: the probe's
    values of the left columns against the stored right columns. ``batch_pairs`` narrow a weak rule
    in the batch, where every pair it admits is scored (online, the few extra candidates of an index
    lookup are simply scored too); an ``online_only`` rule is never used by the batch. A rule with
    ``stored_missing`` finds only stored records lacking those columns (its index is partial on them)."""

    name: str
    pairs: tuple[tuple[str, str], ...]
    batch_pairs: tuple[tuple[str, str], ...] = ()
    online_only: bool = False
    stored_missing: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        """The rule in the batch, as Splink SQL."""
        return " AND ".join(f"l.{a} = r.{b}" for a, b in (*self.pairs, *self.batch_pairs))


def _same(name: str, *cols: str, batch: tuple[str, ...] = (), online_only: bool = False) -> BlockingRule:
    return BlockingRule(name, tuple((c, c) for c in cols), tuple((c, c) for c in batch), online_only)


# Weak rules (a name with a birth year or a day and month; names alone) compare everyone who shares a
# common name across the country: at 1 M people "main given + paternal + birth year" alone made half
# of all compared pairs (7.6 M pairs for 1,318 true ones), and at national scale such rules grow with
# the square of the population. In the batch they keep to one entidad; a record that lacks the
# entidad is still found by every other rule. Names alone serve the online path only (a clerk's query
# with neither birth date nor entidad): in the batch they found no true pair the others missed.
_ENTIDAD = ("entidad",)

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    _same("curp16", "curp16"),
    BlockingRule("curp16 vs recomputed", (("curp16", "curp16_calc"),)),
    BlockingRule("recomputed vs curp16", (("curp16_calc", "curp16"),)),
    _same("recomputed curp16", "curp16_calc"),
    _same("paternal + birth date", "ap1", "dob"),
    _same("main given + birth date + entidad", "given_main", "dob", "entidad"),
    _same("main given + maternal + birth date", "given_main", "ap2", "dob"),
    _same("main given + both surnames + entidad", "given_main", "ap1", "ap2", "entidad"),
    _same("phonetic given + paternal + day and month", "ph_given", "ph_ap1", "dob_md", batch=_ENTIDAD),
    _same("phonetic names + birth year", "ph_given", "ph_ap1", "ph_ap2", "dob_year"),
    BlockingRule(
        "phonetic surnames swapped + birth date",
        (("ph_ap1", "ph_ap2"), ("ph_ap2", "ph_ap1"), ("dob", "dob")),
    ),
    _same("main given + paternal + birth year", "given_main", "ap1", "dob_year", batch=_ENTIDAD),
    _same("all three names", "given_main", "ap1", "ap2", online_only=True),
    # Surnames written in the other order with the birth date missing or mistyped: no rule above
    # holds (measured: most of the true pairs that never reached even the review queue). The swapped
    # twin of "main given + both surnames + entidad"; without the entidad it compared 2.3 M more
    # pairs on 1 M people for the same pairs found.
    BlockingRule(
        "main given + surnames swapped + entidad",
        (("given_main", "given_main"), ("ap1", "ap2"), ("ap2", "ap1"), ("entidad", "entidad")),
    ),
    _same("both surnames + day and month", "ap1", "ap2", "dob_md", batch=_ENTIDAD),
    # The given name and the first surname written in each other's field (``spec.name_swapped``):
    # no rule above holds when the place differs too. As narrow as "paternal + birth date".
    BlockingRule(
        "given name and surname swapped + birth date",
        (("given_main", "ap1"), ("ap1", "given_main"), ("dob", "dob")),
    ),
    _same("main given + maternal + day and month", "given_main", "ap2", "dob_md", batch=_ENTIDAD),
    # A record without a birth date, looked up by a probe with neither CURP nor second surname (a
    # clerk's query, a registry with no dates): every rule above needs one of the three. The batch's
    # rule on data without birth dates ("main given + paternal + birth year" without the year, in one
    # entidad: ``layout.batch_blocking_sql``), online; only over the records without a birth date, so
    # that its index costs nothing on dated data (the records with a date are found by it).
    BlockingRule(
        "main given + paternal + entidad, undated",
        (("given_main", "given_main"), ("ap1", "ap1"), ("entidad", "entidad")),
        online_only=True,
        stored_missing=("dob",),
    ),
)

# Indexes on ``match_record`` serving the rules online: a rule looks candidates up through the index
# with the most columns that the rule fixes (``index_for``).
BLOCKING_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_match_record_curp16": ("curp16",),
    "ix_match_record_curp16_calc": ("curp16_calc",),
    "ix_match_record_ap1_dob": ("ap1", "dob"),
    "ix_match_record_given_dob": ("given_main", "dob"),
    "ix_match_record_given_ap1_year": ("given_main", "ap1", "dob_year"),
    "ix_match_record_given_ap1_ap2": ("given_main", "ap1", "ap2"),
    "ix_match_record_ph_given_ap1_md": ("ph_given", "ph_ap1", "dob_md"),
    "ix_match_record_ph_names_year": ("ph_given", "ph_ap1", "ph_ap2", "dob_year"),
    "ix_match_record_ph_surnames_dob": ("ph_ap1", "ph_ap2", "dob"),
    "ix_match_record_ap1_ap2_md": ("ap1", "ap2", "dob_md"),
    "ix_match_record_given_ap2_md": ("given_main", "ap2", "dob_md"),
    "ix_match_record_given_ap1_undated": ("given_main", "ap1", "entidad"),
}
# Partial blocking indexes: the columns their records lack (the rule's ``stored_missing``), so that an
# index over most of the table is not built for the few records it serves.
INDEX_MISSING: dict[str, tuple[str, ...]] = {"ix_match_record_given_ap1_undated": ("dob",)}


# Each blocking index holds a 64-bit hash of its key columns, not the columns: a batch run rebuilds
# eleven of them over every record, and sorting one bigint builds about three times faster than
# sorting two to four text columns (1.6 s against 4.9 s at 1.86 M records); a lookup reads the same
# number of rows. A lookup rechecks every column by equality, so a hash collision finds nothing wrong.
_JOIN = " || '|' || "


def key_sql(columns: Sequence[str]) -> str:
    """The indexed expression of a blocking index over ``columns`` (of ``match_record``)."""
    return f"hashtextextended({_JOIN.join(columns)}, 0)"


def probe_key_sql(params: Sequence[str]) -> str:
    """The same hash of a probe's values, bound as ``params`` in the index's column order."""
    return f"hashtextextended({_JOIN.join(f'CAST(:{p} AS text)' for p in params)}, 0)"


def not_null_sql(columns: Sequence[str], missing: Sequence[str] = ()) -> str:
    """The partial-index predicate: a record missing a key column is never found by that key; with
    ``missing``, only the records lacking those columns are."""
    return " AND ".join([*(f"{c} IS NOT NULL" for c in columns), *(f"{c} IS NULL" for c in missing)])


def index_predicate(name: str) -> str:
    """The partial-index predicate of the blocking index ``name``."""
    return not_null_sql(BLOCKING_INDEXES[name], INDEX_MISSING.get(name, ()))


def index_for(stored: Collection[str], missing: Sequence[str] = ()) -> tuple[str, tuple[str, ...]]:
    """The blocking index with the most columns, all of them in ``stored`` (the columns a rule fixes),
    over the records lacking exactly ``missing``."""
    usable = [
        (name, cols)
        for name, cols in BLOCKING_INDEXES.items()
        if set(cols) <= set(stored) and INDEX_MISSING.get(name, ()) == tuple(missing)
    ]
    if not usable:
        raise LookupError(f"no blocking index serves {sorted(stored)}")
    return max(usable, key=lambda item: len(item[1]))


# Blocking rules for EM, each leaving some comparisons free to estimate: same names (free: CURP,
# birth date, sex, place, address), same paternal surname and birth date (free: given names, CURP, ...),
# same main given name and birth date (free: surnames). Never a CURP rule: CURP-16 encodes the
# initials and the birth date, so it would leave nothing to learn about them.
EM_BLOCKING_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("given_full", "ap1", "ap2"),
    ("ap1", "dob"),
    ("given_main", "dob"),
)
# On data with no CURP, one more EM rule that fixes no name: the pass that trains the name comparisons'
# levels across fields (a given name in the surname's field, both swapped), which no rule fixing a
# name can hold. The birth date at one address is one person but for twins.
NO_CURP_EM_COLUMNS: tuple[tuple[str, ...], ...] = (("dob", "domicilio"),)
# When every rule above fixes a name (no birth date: only the rule on the names is left), the name
# comparisons would keep Splink's default m and weigh exact names against a match; these rules fix no
# name, and ``layout.em_rules`` adds, from each group, the first one present that frees a comparison
# the others fix. The same CURP is one person (its pairs show how names are mistyped, but never two
# unrelated names: the other group's pairs do, relatives at one address).
FALLBACK_EM_COLUMNS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("curp",),),
    (("domicilio", "municipio"), ("domicilio", "localidad")),
)
# Rules that admit almost no false positive, to estimate the share of matching pairs.
DETERMINISTIC_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("curp",),
    ("given_full", "ap1", "ap2", "dob", "entidad"),
)
# Batch rules beside ``BLOCKING_RULES`` on any layout that holds their columns
# (``layout.batch_blocking_sql``), never online (no index serves them). Both surnames, the birth year
# and the municipio: one person's records when the given name is written otherwise (a second name
# dropped, a nickname) *and* the day and month are lost (a year-only date) or the entidad is left
# blank — every rule above then fails (a blind population, session 14: most of the true pairs that
# were never compared). Narrow: a family's surnames, one year, one municipio (at 30 k people it joins
# fewer pairs than any rule above). The localidad's twin finds the pairs whose municipio one clerk
# wrote as a postcode.
BATCH_ONLY_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("ap1", "ap2", "dob_year", "municipio"),
    ("ap1", "ap2", "dob_year", "localidad"),
)
# Batch rules for data with no CURP at all (``layout.batch_blocking_sql``): identity then rests on names,
# birth date and place, and a pair with a mistyped name and birth date is found by the place alone
# (each rule keeps to one municipio). Never used online (no index serves them) nor on data with CURPs.
NO_CURP_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("dob", "municipio"),
    ("given_main", "municipio"),
    ("ap1", "municipio"),
    ("domicilio", "municipio"),
    # A municipio (a postcode) mistyped under the right localidad name.
    ("given_main", "localidad"),
    ("ap1", "localidad"),
    # Both names mistyped and the municipio (a postcode) too: the birth date in the same localidad.
    ("dob", "localidad"),
    # Both names mistyped and the place too (a postcode or localidad slipped): the birth date at the
    # same address — a person's two records, or relatives born the same day under one roof (twins),
    # whom the scoring rules keep apart; as narrow as the birth date in one localidad.
    ("dob", "domicilio"),
)
# Batch rules for data with no CURP, across fields: one record's given name written as the other's
# first surname, at the same place (a swapped name with the other name or the birth date mistyped or
# replaced: no rule above holds). One rule per direction, since a batch rule compares a pair one way.
NO_CURP_CROSSED: tuple[tuple[tuple[str, str], ...], ...] = (
    # Both names swapped, the birth date and place mistyped too: given names and surnames are drawn
    # from different words, so a swapped pair is rare among strangers (narrower than the names alone).
    (("given_main", "ap1"), ("ap1", "given_main")),
    (("given_main", "ap1"), ("localidad", "localidad")),
    (("ap1", "given_main"), ("localidad", "localidad")),
    (("given_main", "ap1"), ("municipio", "municipio")),
    (("ap1", "given_main"), ("municipio", "municipio")),
)
