"""Name vocabularies as arrays, with the weighted tables people are drawn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from interop.synth import names
from interop.synth.states import STATE_INDEX, STATES

SEX_H, SEX_M, SEX_X = 0, 1, 2
SEX_LETTERS = ("H", "M", "X")
ERA_TRADITIONAL, ERA_MODERN = 0, 1
# Births from this year on draw from the modern given-name lists.
MODERN_FROM_YEAR = 1975


@dataclass(frozen=True, slots=True)
class Table:
    """Indices into a vocabulary and their cumulative weights."""

    indices: NDArray[np.int32]
    cumulative: NDArray[np.float64]

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.int32]:
        picks = np.searchsorted(self.cumulative, rng.random(size) * self.cumulative[-1], side="right")
        drawn: NDArray[np.int32] = self.indices[np.minimum(picks, self.indices.shape[0] - 1)]
        return drawn


def _table(vocab: dict[str, int], entries: tuple[str, ...], shift: float) -> Table:
    weights = names.zipf_weights(len(entries), shift=shift)
    return Table(
        indices=np.asarray([vocab[e] for e in entries], dtype=np.int32), cumulative=np.cumsum(weights)
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    surnames: tuple[str, ...]
    given: tuple[str, ...]
    national: Table
    # One table per regional pool, and per state the cumulative shares of those pools.
    regional: tuple[Table, ...]
    regional_cum_share: NDArray[np.float64]
    # [sex H/M][era] → simple names, compound forms
    simple: tuple[tuple[Table, Table], tuple[Table, Table]]
    compound: tuple[Table, Table]
    # Given-name indices that are MARÍA / JOSÉ (abbreviated MA. / J. by some clerks).
    maria: int
    jose: int


def _index(entries: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in entries:
        out.setdefault(entry, len(out))
    return out


def build_vocabulary() -> Vocabulary:
    surname_index = _index(
        names.NATIONAL_SURNAMES + names.MAYA_SURNAMES + names.NAHUA_SURNAMES + names.ZAPOTEC_MIXTEC_SURNAMES
    )
    given_index = _index(
        names.MALE_TRADITIONAL
        + names.MALE_MODERN
        + names.FEMALE_TRADITIONAL
        + names.FEMALE_MODERN
        + names.MALE_COMPOUNDS
        + names.FEMALE_COMPOUNDS
    )
    regional = tuple(_table(surname_index, pool, 2.0) for pool, _ in names.REGIONAL_SHARE)
    shares = np.zeros((len(STATES), len(names.REGIONAL_SHARE)))
    for k, (_, per_state) in enumerate(names.REGIONAL_SHARE):
        for code, share in per_state.items():
            shares[STATE_INDEX[code], k] = share
    return Vocabulary(
        surnames=tuple(surname_index),
        given=tuple(given_index),
        national=_table(surname_index, names.NATIONAL_SURNAMES, 4.0),
        regional=regional,
        regional_cum_share=np.cumsum(shares, axis=1),
        simple=(
            (
                _table(given_index, names.MALE_TRADITIONAL, 3.0),
                _table(given_index, names.MALE_MODERN, 3.0),
            ),
            (
                _table(given_index, names.FEMALE_TRADITIONAL, 2.0),
                _table(given_index, names.FEMALE_MODERN, 3.0),
            ),
        ),
        compound=(
            _table(given_index, names.MALE_COMPOUNDS, 1.5),
            _table(given_index, names.FEMALE_COMPOUNDS, 1.5),
        ),
        maria=given_index["MARÍA"],
        jose=given_index["JOSÉ"],
    )


def draw_surnames(
    rng: np.random.Generator, vocab: Vocabulary, states: NDArray[np.int32]
) -> NDArray[np.int32]:
    """One surname per person, from the regional pools of their state or the national list."""
    out = vocab.national.draw(rng, states.shape[0])
    u = rng.random(int(states.shape[0]))
    cum: NDArray[np.float64] = vocab.regional_cum_share[states]
    chosen = (u[:, None] < cum).argmax(axis=1)
    regional = u < cum[:, -1]
    for k, table in enumerate(vocab.regional):
        rows = np.flatnonzero(regional & (chosen == k))
        if rows.size:
            out[rows] = table.draw(rng, rows.size)
    return out


def draw_given(
    rng: np.random.Generator, vocab: Vocabulary, sex: NDArray[np.int8], birth_year: NDArray[np.int64]
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """(first form, second simple name or −1) per person, by sex and generation."""
    n = int(sex.shape[0])
    first = np.zeros(n, dtype=np.int32)
    second = np.full(n, -1, dtype=np.int32)
    # Non-binary people carry a name of either list.
    list_sex = np.where(sex == SEX_X, rng.integers(0, 2, n), sex)
    era = (birth_year >= MODERN_FROM_YEAR).astype(np.int64)
    compound = rng.random(n) < names.COMPOUND_SHARE
    with_second = (~compound) & (rng.random(n) < names.SECOND_NAME_SHARE)
    for s in (SEX_H, SEX_M):
        rows = np.flatnonzero((list_sex == s) & compound)
        first[rows] = vocab.compound[s].draw(rng, rows.size)
        for e in (ERA_TRADITIONAL, ERA_MODERN):
            table = vocab.simple[s][e]
            rows = np.flatnonzero((list_sex == s) & (era == e) & ~compound)
            first[rows] = table.draw(rng, rows.size)
            rows = np.flatnonzero((list_sex == s) & (era == e) & with_second)
            picked = table.draw(rng, rows.size)
            same = picked == first[rows]
            # A repeated name ("JUAN JUAN") gets one more draw, then is dropped below.
            if same.any():
                alt = table.draw(rng, int(same.sum()))
                picked[same] = np.where(alt == first[rows][same], table.indices[0], alt)
            second[rows] = picked
    second[second == first] = -1
    return first, second
