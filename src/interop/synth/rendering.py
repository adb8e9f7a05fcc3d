"""Source rows as text: how one source writes a chunk of persons, noise included.

``render_identity`` applies the source's ``SourceNoise`` and records what it did in a bit mask
per row (``noise.Noise``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from interop.identity.curp import build_curp
from interop.synth import noise
from interop.synth.geography import Geography
from interop.synth.noise import Noise
from interop.synth.population import (
    EPOCH,
    REFERENCE_DAYS,
    SEX_LETTERS,
    STATE_CODES,
    Population,
    addresses,
)
from interop.synth.profile import SourceNoise
from interop.synth.vocabulary import SEX_M, Vocabulary


def _plain(values: tuple[str, ...] | NDArray[np.object_]) -> NDArray[np.object_]:
    return np.asarray([v.translate(noise.STRIP_ACCENTS) for v in values], dtype=object)


def _flags(values: tuple[str, ...], test: Callable[[str], bool]) -> NDArray[np.bool_]:
    return np.fromiter((test(v) for v in values), dtype=bool, count=len(values))


@dataclass(frozen=True, slots=True)
class Context:
    """The population with every vocabulary spelt both ways (accented, and upper case without
    accents), and per-word facts that noise eligibility needs, computed once per run."""

    pop: Population
    vocab: Vocabulary
    geo: Geography
    # [0] accented, [1] plain; the given-name arrays have an extra last entry "" for "no second".
    surnames: tuple[NDArray[np.object_], NDArray[np.object_]]
    given: tuple[NDArray[np.object_], NDArray[np.object_]]
    mun_name: tuple[NDArray[np.object_], NDArray[np.object_]]
    loc_name: tuple[NDArray[np.object_], NDArray[np.object_]]
    surname_enye: NDArray[np.bool_]
    surname_accent: NDArray[np.bool_]
    given_enye: NDArray[np.bool_]
    given_accent: NDArray[np.bool_]
    given_several: NDArray[np.bool_]
    given_maria_jose: NDArray[np.bool_]

    @classmethod
    def build(cls, pop: Population, vocab: Vocabulary, geo: Geography) -> Context:
        given = (*vocab.given, "")
        return cls(
            pop=pop,
            vocab=vocab,
            geo=geo,
            surnames=(np.asarray(vocab.surnames, dtype=object), _plain(vocab.surnames)),
            given=(np.asarray(given, dtype=object), _plain(given)),
            mun_name=(geo.mun_name, _plain(geo.mun_name)),
            loc_name=(geo.loc_name, _plain(geo.loc_name)),
            surname_enye=_flags(vocab.surnames, lambda v: "Ñ" in v),
            surname_accent=_flags(vocab.surnames, lambda v: not v.replace("Ñ", "N").isascii()),
            given_enye=_flags(given, lambda v: "Ñ" in v),
            given_accent=_flags(given, lambda v: not v.replace("Ñ", "N").isascii()),
            given_several=_flags(given, lambda v: " " in v),
            given_maria_jose=_flags(given, lambda v: v.partition(" ")[0] in ("MARÍA", "JOSÉ")),
        )


class _Chunk:
    """Random choices for one chunk of n rows, and the noise mask they leave behind."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.n = n
        self.mask = np.zeros(n, dtype=np.uint32)

    def hit(self, rate: float, kind: Noise, eligible: NDArray[np.bool_] | None = None) -> list[int]:
        chosen = self.rng.random(self.n) < rate
        if eligible is not None:
            chosen &= eligible
        rows = np.flatnonzero(chosen)
        self.mask[rows] |= np.uint32(1 << kind)
        return rows.tolist()  # type: ignore[no-any-return]


def render_identity(
    rng: np.random.Generator, ctx: Context, who: NDArray[np.int64], cfg: SourceNoise
) -> tuple[dict[str, list[str]], NDArray[np.uint32]]:
    """The identity columns (all but record_id) for persons ``who`` as one source writes them."""
    pop, geo = ctx.pop, ctx.geo
    c = _Chunk(rng, who.size)
    # Spelling style first: most systems store upper case without accents (Ñ survives).
    plain = (rng.random(c.n) >= cfg.keep_accents).astype(np.intp)
    first, second = pop.given[who], pop.second[who]
    has_second = second >= 0
    second_or_blank = np.where(has_second, second, len(ctx.vocab.given))
    spaces = np.where(has_second, " ", "").astype(object)
    given_arr = _spelt(ctx.given, plain, first) + spaces + _spelt(ctx.given, plain, second_or_blank)
    given: list[str] = given_arr.tolist()
    paternal: list[str] = _spelt(ctx.surnames, plain, pop.paternal[who]).tolist()
    has_maternal = pop.maternal[who] >= 0
    maternal: list[str] = np.where(
        has_maternal, _spelt(ctx.surnames, plain, np.maximum(pop.maternal[who], 0)), ""
    ).tolist()
    for i in np.flatnonzero(~has_maternal).tolist():
        maternal[i] = noise.maternal_missing(rng, cfg.maternal_placeholder)

    abbreviable = np.where(has_second, ctx.given_maria_jose[first] & ~ctx.given_several[first],
                           ctx.given_maria_jose[first] & ctx.given_several[first])  # fmt: skip
    for i in c.hit(cfg.abbreviated_given, Noise.abbreviated_given, abbreviable):
        given[i] = noise.abbreviate(given[i], rng)
    several = has_second | ctx.given_several[first]
    for i in c.hit(cfg.dropped_second_given, Noise.dropped_second_given, several & ~abbreviable):
        given[i] = noise.drop_second(given[i], rng)
    for i in c.hit(cfg.missing_maternal, Noise.missing_maternal, has_maternal):
        maternal[i] = noise.maternal_missing(rng, cfg.maternal_placeholder)
    still_maternal = has_maternal & ((c.mask & (1 << Noise.missing_maternal)) == 0)
    for i in c.hit(cfg.swapped_surnames, Noise.swapped_surnames, still_maternal):
        paternal[i], maternal[i] = maternal[i], paternal[i]
    names = (given, paternal, maternal)
    field = rng.integers(0, 3, c.n)
    field = np.where((field == 2) & ~still_maternal, 1, field)
    for i in c.hit(cfg.name_typo, Noise.name_typo):
        target = names[int(field[i])]
        target[i] = noise.typo(target[i], rng)

    loc = pop.locality[who].copy()
    address: list[str] = np.where(plain == 1, pop.address_plain[who], pop.address[who]).tolist()
    moved = c.hit(cfg.moved, Noise.moved)
    if moved:
        loc[moved] = geo.draw_localities(rng, geo.loc_state[loc[moved]])
        fresh, fresh_plain = addresses(rng, len(moved))
        for k, i in enumerate(moved):
            address[i] = fresh_plain[k] if plain[i] else fresh[k]
    municipio: list[str] = _spelt(ctx.mun_name, plain, geo.loc_mun[loc]).tolist()
    localidad: list[str] = _spelt(ctx.loc_name, plain, loc).tolist()
    entidad: list[str] = [STATE_CODES[s] for s in geo.loc_state[loc].tolist()]

    text_fields = (given, paternal, maternal, municipio, localidad, address)
    maternal_idx = np.maximum(pop.maternal[who], 0)
    has_enye = (
        ctx.given_enye[first]
        | ctx.given_enye[second_or_blank]
        | ctx.surname_enye[pop.paternal[who]]
        | (has_maternal & ctx.surname_enye[maternal_idx])
    )
    for i in c.hit(cfg.enye_as_n, Noise.enye_as_n, has_enye):
        for column in text_fields:
            column[i] = column[i].replace("Ñ", "N")
    enye_left = has_enye & ((c.mask & (1 << Noise.enye_as_n)) == 0)
    accented = (plain == 0) & (
        ctx.given_accent[first]
        | ctx.given_accent[second_or_blank]
        | ctx.surname_accent[pop.paternal[who]]
        | (has_maternal & ctx.surname_accent[maternal_idx])
    )
    non_ascii = enye_left | accented
    field = rng.integers(0, 3, c.n)
    for i in c.hit(cfg.spurious_accent, Noise.spurious_accent):
        target = names[int(field[i])]
        target[i] = noise.spurious_accent(target[i], rng)
    for i in c.hit(cfg.mojibake, Noise.mojibake, non_ascii):
        for column in text_fields:
            column[i] = noise.mojibake(column[i])
    lowered = c.hit(cfg.lowercase, Noise.lowercase)
    for i in lowered:
        for column in names:
            column[i] = column[i].lower()
    not_lowered = np.ones(c.n, dtype=bool)
    not_lowered[lowered] = False
    for i in c.hit(cfg.mixed_case, Noise.mixed_case, not_lowered):
        for column in names:
            column[i] = column[i].title()
    field = rng.integers(0, 3, c.n)
    for i in c.hit(cfg.extra_spaces, Noise.extra_spaces):
        target = names[int(field[i])]
        target[i] = noise.extra_spaces(target[i], rng)

    birth = _render_dates(c, pop.birth_days[who], cfg)
    sex = pop.sex[who].copy()
    flippable = sex != 2
    flipped = c.hit(cfg.sex_flipped, Noise.sex_flipped, flippable)
    sex[flipped] = 1 - sex[flipped]
    curp = _render_curps(c, ctx, who, cfg)
    phone = _render_phones(c, pop.phone[who], cfg)
    return (
        {
            "curp": curp,
            "nombre": given,
            "primer_apellido": paternal,
            "segundo_apellido": maternal,
            "fecha_nacimiento": birth,
            "sexo": [SEX_LETTERS[s] for s in sex.tolist()],
            "entidad": entidad,
            "municipio": municipio,
            "localidad": localidad,
            "domicilio": address,
            "telefono": phone,
        },
        c.mask,
    )


def _spelt(
    spellings: tuple[NDArray[np.object_], NDArray[np.object_]], plain: NDArray[np.intp], index: NDArray[Any]
) -> NDArray[np.object_]:
    """``spellings[plain[i]][index[i]]`` for every row."""
    out: NDArray[np.object_] = np.where(plain == 1, spellings[1][index], spellings[0][index])
    return out


def _render_dates(c: _Chunk, birth_days: NDArray[np.int64], cfg: SourceNoise) -> list[str]:
    d = birth_days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    missing = c.hit(cfg.missing_birth_date, Noise.missing_birth_date)
    present = np.ones(c.n, dtype=bool)
    present[missing] = False
    swappable = present & (day <= 12) & (day != month)
    swapped = c.hit(cfg.day_month_swap, Noise.day_month_swap, swappable)
    month[swapped], day[swapped] = day[swapped], month[swapped]
    shifted = c.hit(cfg.year_off_by_one, Noise.year_off_by_one, present)
    year[shifted] += np.where(c.rng.random(len(shifted)) < 0.5, -1, 1)
    # 29 February moved to a common year becomes the 28th.
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = np.where((month == 2) & (day == 29) & ~leap, 28, day)
    dates = (
        (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    text: list[str] = np.datetime_as_string(dates, unit="D").astype(object).tolist()
    for i in missing:
        text[i] = ""
    return text


def _render_curps(c: _Chunk, ctx: Context, who: NDArray[np.int64], cfg: SourceNoise) -> list[str]:
    pop = ctx.pop
    curp: list[str] = pop.curp[who].astype(object).tolist()
    missing = c.hit(cfg.missing_curp, Noise.missing_curp)
    present = np.ones(c.n, dtype=bool)
    present[missing] = False
    for i in missing:
        curp[i] = ""
    relative = c.hit(cfg.curp_of_relative, Noise.curp_of_relative, present)
    for i in relative:
        curp[i] = _relative_curp(c.rng, ctx, int(who[i]))
    present[relative] = False
    for i in c.hit(cfg.curp_typo, Noise.curp_typo, present):
        curp[i] = noise.curp_typo(curp[i], c.rng)
    return curp


_EARLIEST_RELATIVE = (date(1905, 1, 1) - EPOCH).days


def _relative_curp(rng: np.random.Generator, ctx: Context, person: int) -> str:
    """The CURP of a real relative when the person has one in the population, otherwise of a
    sibling, parent or child who shares both surnames."""
    pop = ctx.pop
    if pop.relative[person] >= 0:
        return str(pop.curp[pop.relative[person]])
    sex = int(rng.integers(2))
    table = ctx.vocab.simple[sex][0]
    given = ctx.vocab.given[int(table.draw(rng, 1)[0])]
    years = float(rng.uniform(-35.0, 35.0))
    days = int(pop.birth_days[person] + years * 365.2425)
    days = min(max(days, _EARLIEST_RELATIVE), REFERENCE_DAYS - 1)
    birth = EPOCH + timedelta(days=days)
    homoclave = str(rng.integers(10)) if birth < date(2000, 1, 1) else chr(ord("A") + int(rng.integers(26)))
    maternal = pop.maternal[person]
    return build_curp(
        given_names=given,
        paternal_surname=ctx.vocab.surnames[int(pop.paternal[person])],
        maternal_surname=ctx.vocab.surnames[int(maternal)] if maternal >= 0 else None,
        birth_date=birth,
        sex=SEX_LETTERS[SEX_M if sex else 0],
        state=STATE_CODES[int(pop.birth_state[person])],
        homoclave=homoclave,
    )


def _render_phones(c: _Chunk, phones: NDArray[np.int64], cfg: SourceNoise) -> list[str]:
    text: list[str] = phones.astype("U10").astype(object).tolist()
    missing = c.hit(cfg.missing_phone, Noise.missing_phone)
    for i in missing:
        text[i] = ""
    present = np.ones(c.n, dtype=bool)
    present[missing] = False
    for i in c.hit(cfg.formatted_phone, Noise.formatted_phone, present):
        text[i] = noise.formatted_phone(text[i], c.rng)
    return text
