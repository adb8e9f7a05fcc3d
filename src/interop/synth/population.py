"""The true population: one row per real person, before any source writes it down.

Each person belongs to one category — PAM pensioner (65 or older on ``REFERENCE_DATE``), PCD
pensioner (under 64), or not a pensioner (a registry patient only). Hard negatives are pairs of
different people who look alike: twins, a namesake parent and child, namesake neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from interop.synth.addresses import addresses, phones
from interop.synth.curps import EPOCH, population_curps
from interop.synth.geography import Geography
from interop.synth.profile import ErrorModel
from interop.synth.states import BORN_ABROAD, STATE_CODES, STATES
from interop.synth.vocabulary import SEX_H, SEX_LETTERS, SEX_M, SEX_X, Vocabulary, draw_given, draw_surnames

# Ages are computed on this fixed date, so that a seed always gives the same files.
REFERENCE_DATE = date(2026, 1, 1)
REFERENCE_DAYS = (REFERENCE_DATE - EPOCH).days

PAM, PCD, OTHER = 0, 1, 2
PROGRAMMES = ("PAM", "PCD")

TWINS, PARENT_CHILD, NEIGHBOURS = 0, 1, 2
HARD_NEGATIVE_KINDS = ("twins", "namesake_parent_child", "namesake_neighbours")


@dataclass(frozen=True, slots=True)
class Population:
    size: int
    category: NDArray[np.int8]
    sex: NDArray[np.int8]
    birth_days: NDArray[np.int64]
    birth_state: NDArray[np.int16]
    locality: NDArray[np.int32]
    paternal: NDArray[np.int32]
    maternal: NDArray[np.int32]
    given: NDArray[np.int32]
    second: NDArray[np.int32]
    address: NDArray[np.object_]
    address_plain: NDArray[np.object_]
    phone: NDArray[np.int64]
    curp: NDArray[np.str_]
    # The other member of a twins or parent-child pair (a relative whose CURP a clerk may copy).
    relative: NDArray[np.int64]
    pair_a: NDArray[np.int64]
    pair_b: NDArray[np.int64]
    pair_kind: NDArray[np.int8]

    def given_names(self, vocab: Vocabulary, rows: NDArray[np.int64]) -> list[str]:
        """The given names as the person would spell them, accents included."""
        given = vocab.given
        return [
            given[f] if s < 0 else f"{given[f]} {given[s]}"
            for f, s in zip(self.given[rows].tolist(), self.second[rows].tolist(), strict=True)
        ]

    def person_ids(self, rows: NDArray[np.int64]) -> list[str]:
        return [f"S{r:08d}" for r in rows.tolist()]


def _years_days(years: int) -> int:
    """Days between REFERENCE_DATE and the same calendar day ``years`` earlier."""
    return (REFERENCE_DATE - REFERENCE_DATE.replace(year=REFERENCE_DATE.year - years)).days


PAM_MIN_DAYS = _years_days(65) + 1
PCD_MAX_DAYS = _years_days(64) - 1
MAX_AGE_DAYS = _years_days(104)


def _ages(rng: np.random.Generator, category: NDArray[np.int8]) -> NDArray[np.int64]:
    n = int(category.shape[0])
    year = 365.2425
    pam = PAM_MIN_DAYS + (rng.exponential(9.0 * year, n) % (MAX_AGE_DAYS - PAM_MIN_DAYS))
    pcd = 30 + rng.beta(1.6, 1.2, n) * (PCD_MAX_DAYS - 30)
    other = rng.beta(1.3, 1.9, n) * 95 * year
    days = np.select([category == PAM, category == PCD], [pam, pcd], other)
    return days.astype(np.int64)


def _pairs(
    rng: np.random.Generator, n: int, category: NDArray[np.int8], model: ErrorModel
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    counts = [
        round(n * rate) for rate in (model.twins, model.namesake_parent_child, model.namesake_neighbours)
    ]
    total = sum(counts)
    if 2 * total > n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8)
    order = rng.permutation(n)
    # Parents are PAM pensioners: the oldest generation of the roll.
    pam = order[category[order] == PAM]
    parents = pam[: counts[PARENT_CHILD]]
    rest = np.setdiff1d(order, parents, assume_unique=True)
    rest = rest[rng.permutation(rest.size)]
    a_twins = rest[: counts[TWINS]]
    a_neigh = rest[counts[TWINS] : counts[TWINS] + counts[NEIGHBOURS]]
    b_all = rest[counts[TWINS] + counts[NEIGHBOURS] : counts[TWINS] + counts[NEIGHBOURS] + total]
    a = np.concatenate([a_twins, parents[: counts[PARENT_CHILD]], a_neigh])
    kind = np.repeat(
        np.array([TWINS, PARENT_CHILD, NEIGHBOURS], dtype=np.int8), [a_twins.size, parents.size, a_neigh.size]
    )
    return a.astype(np.int64), b_all[: a.size].astype(np.int64), kind


def generate_population(
    rng: np.random.Generator, size: int, model: ErrorModel, geo: Geography, vocab: Vocabulary
) -> Population:
    shape = model.population
    n = size
    u = rng.random(n)
    category = np.where(
        u < shape.non_pensioners,
        OTHER,
        np.where(u < shape.non_pensioners + (1 - shape.non_pensioners) * shape.disability_share, PCD, PAM),
    ).astype(np.int8)
    age_days = _ages(rng, category)
    female_share = np.select([category == PAM, category == PCD], [0.56, 0.47], 0.52)
    sex = np.where(rng.random(n) < female_share, SEX_M, SEX_H).astype(np.int8)
    sex[rng.random(n) < shape.non_binary] = SEX_X

    weights = np.array([s.population for s in STATES])
    state = rng.choice(len(STATES), size=n, p=weights / weights.sum()).astype(np.int32)
    locality = geo.draw_localities(rng, state)
    birth_state = state.astype(np.int16)
    migrant = rng.random(n) < shape.migrants
    birth_state[migrant] = rng.choice(len(STATES), size=int(migrant.sum()), p=weights / weights.sum())
    birth_state[rng.random(n) < shape.born_abroad] = BORN_ABROAD

    name_state = np.where(birth_state == BORN_ABROAD, state, birth_state).astype(np.int32)
    paternal = draw_surnames(rng, vocab, name_state)
    maternal = draw_surnames(rng, vocab, name_state)
    maternal[rng.random(n) < shape.single_surname] = -1
    birth_days = REFERENCE_DAYS - age_days
    birth_year = birth_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    # Many people born before 1960 were registered late with 1 January as their birth date.
    new_year = (birth_year < 1960) & (rng.random(n) < shape.new_year_births)
    birth_days[new_year] = (
        (birth_year[new_year] - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    )
    given, second = draw_given(rng, vocab, sex, birth_year)
    address, address_plain = addresses(rng, n)
    phone = phones(rng, state)

    pair_a, pair_b, pair_kind = _pairs(rng, n, category, model)
    relative = np.full(n, -1, dtype=np.int64)
    _apply_pairs(
        rng, pair_a, pair_b, pair_kind,
        category=category, sex=sex, birth_days=birth_days, birth_state=birth_state, locality=locality,
        paternal=paternal, maternal=maternal, given=given, second=second, address=address,
        address_plain=address_plain, phone=phone,
        relative=relative, loc_state=geo.loc_state, vocab=vocab,
    )  # fmt: skip

    curp = population_curps(
        rng, vocab, paternal=paternal, maternal=maternal, given=given, second=second,
        birth_days=birth_days, sex=sex, birth_state=birth_state,
    )  # fmt: skip
    return Population(
        size=n,
        category=category,
        sex=sex,
        birth_days=birth_days,
        birth_state=birth_state,
        locality=locality,
        paternal=paternal,
        maternal=maternal,
        given=given,
        second=second,
        address=address,
        address_plain=address_plain,
        phone=phone,
        curp=curp,
        relative=relative,
        pair_a=pair_a,
        pair_b=pair_b,
        pair_kind=pair_kind,
    )


def _apply_pairs(
    rng: np.random.Generator,
    pair_a: NDArray[np.int64],
    pair_b: NDArray[np.int64],
    pair_kind: NDArray[np.int8],
    *,
    category: NDArray[np.int8],
    sex: NDArray[np.int8],
    birth_days: NDArray[np.int64],
    birth_state: NDArray[np.int16],
    locality: NDArray[np.int32],
    paternal: NDArray[np.int32],
    maternal: NDArray[np.int32],
    given: NDArray[np.int32],
    second: NDArray[np.int32],
    address: NDArray[np.object_],
    address_plain: NDArray[np.object_],
    phone: NDArray[np.int64],
    relative: NDArray[np.int64],
    loc_state: NDArray[np.int32],
    vocab: Vocabulary,
) -> None:
    """Turn each b into the look-alike of its a, in place."""
    a, b = pair_a, pair_b
    paternal[b] = paternal[a]
    maternal[b] = maternal[a]
    locality[b] = locality[a]

    twins = pair_kind == TWINS
    ta, tb = a[twins], b[twins]
    birth_days[tb] = birth_days[ta]
    birth_state[tb] = birth_state[ta]
    address[tb] = address[ta]
    address_plain[tb] = address_plain[ta]
    phone[tb] = phone[ta]
    category[tb] = np.where(category[ta] == PCD, OTHER, category[ta])
    # Twins never share their given names: a twin named like the other gets a fresh simple name.
    for s in (SEX_H, SEX_M, SEX_X):
        clash = tb[(given[tb] == given[ta]) & (sex[tb] == s)]
        table = vocab.simple[min(s, SEX_M)][0]
        fresh = table.draw(rng, clash.size)
        fresh = np.where(fresh == given[clash], table.indices[1], fresh)
        fresh = np.where(fresh == given[clash], table.indices[0], fresh)
        given[clash] = fresh
        second[clash] = -1

    pc = pair_kind == PARENT_CHILD
    pa, pb = a[pc], b[pc]
    gap = (rng.uniform(20.0, 35.0, pa.size) * 365.2425).astype(np.int64)
    birth_days[pb] = birth_days[pa] + gap
    child_age = REFERENCE_DAYS - birth_days[pb]
    category[pb] = np.where(child_age >= PAM_MIN_DAYS, PAM, OTHER)
    birth_state[pb] = loc_state[locality[pb]]
    address[pb] = address[pa]
    address_plain[pb] = address_plain[pa]
    phone[pb] = phone[pa]

    neighbours = pair_kind == NEIGHBOURS
    na, nb = a[neighbours], b[neighbours]
    same_day = nb[birth_days[nb] == birth_days[na]]
    # Move the clash 400 days in the direction that keeps the person in their category.
    older = (category[same_day] == PAM) | (REFERENCE_DAYS - birth_days[same_day] < 1000)
    birth_days[same_day] += np.where(older, -400, 400)

    for kind_mask in (pc, neighbours):
        ka, kb = a[kind_mask], b[kind_mask]
        sex[kb] = sex[ka]
        given[kb] = given[ka]
        second[kb] = second[ka]
    relative[ta], relative[tb] = tb, ta
    relative[pa], relative[pb] = pb, pa


__all__ = [
    "BORN_ABROAD",
    "EPOCH",
    "SEX_LETTERS",
    "STATE_CODES",
    "Population",
    "addresses",
    "generate_population",
]
