"""CURPs for a whole population at once, by the identity rules.

``interop.identity`` owns the rules; calling ``build_curp`` per person costs ~30 µs, half a
minute for a million people. The rules are word-local, so the name characters are asked of
``identity.curp.derive_name_part`` once per distinct surname and per distinct given-name form,
and the 18 characters are assembled with numpy in RENAPO's layout (positions 1–4, birth date,
sex, entidad, 14–16, homoclave, check digit). ``population_curps`` then rebuilds a sample with
``build_curp`` and refuses to return anything that disagrees, so a change of rule in identity
can never be silently out of step here.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from interop.identity.curp import ALPHABET, INCONVENIENT_WORDS, build_curp, derive_name_part
from interop.synth.states import STATE_CODES
from interop.synth.vocabulary import SEX_LETTERS, Vocabulary

EPOCH = date(1970, 1, 1)

# Its initial X ends no inconvenient word, so the surname characters come back untouched.
_PLACEHOLDER_GIVEN = "XIMENA"
_PLACEHOLDER_SURNAME = "PÉREZ"
CHECK_SAMPLE = 400

# Character value for the check digit, indexed by ASCII code (a CURP built here is ASCII: Ñ → X).
_VALUES = np.zeros(128, dtype=np.int64)
for _value, _char in enumerate(ALPHABET):
    if ord(_char) < 128:
        _VALUES[ord(_char)] = _value
_WEIGHTS = np.arange(18, 1, -1, dtype=np.int64)
_INCONVENIENT = np.array(sorted(INCONVENIENT_WORDS), dtype="S4")


def surname_characters(surnames: tuple[str, ...]) -> NDArray[np.uint8]:
    """Per surname: [first letter, first internal vowel, first internal consonant] as read by
    identity; a surname used as the second one contributes its first letter and consonant."""
    out = np.zeros((len(surnames), 3), dtype=np.uint8)
    for i, surname in enumerate(surnames):
        part = derive_name_part(
            given_names=_PLACEHOLDER_GIVEN, paternal_surname=surname, maternal_surname=surname
        )
        out[i] = [ord(part.initials[0]), ord(part.initials[1]), ord(part.consonants[0])]
    return out


def given_characters(given_forms: list[str]) -> NDArray[np.uint8]:
    """Per full given-name form ("MARÍA GUADALUPE"): [initial, internal consonant] of the name
    RENAPO reads (the second when the first is MARÍA/JOSÉ)."""
    out = np.zeros((len(given_forms), 2), dtype=np.uint8)
    for i, given in enumerate(given_forms):
        part = derive_name_part(
            given_names=given, paternal_surname=_PLACEHOLDER_SURNAME, maternal_surname=None
        )
        out[i] = [ord(part.initials[3]), ord(part.consonants[2])]
    return out


def check_digits(curp17: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Character 18 for rows of 17 ASCII codes: weights 18..2, ``(10 − sum mod 10) mod 10``."""
    total = np.zeros(curp17.shape[0], dtype=np.int64)
    for position in range(17):
        total += _VALUES[curp17[:, position]] * _WEIGHTS[position]
    return ((10 - total % 10) % 10 + ord("0")).astype(np.uint8)


def split_dates(days: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Year, month, day of day numbers counted from 1970-01-01."""
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _digits(values: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)


def curp16_matrix(
    *,
    paternal: NDArray[np.uint8],
    maternal: NDArray[np.uint8],
    has_maternal: NDArray[np.bool_],
    given: NDArray[np.uint8],
    birth_days: NDArray[np.int64],
    sex: NDArray[np.uint8],
    state: NDArray[np.uint8],
) -> NDArray[np.uint8]:
    """Characters 1–16 as an (n × 18) matrix of ASCII codes (17–18 left for ``finish_curps``), from
    per-person name characters (rows of ``surname_characters`` / ``given_characters``), day
    numbers, sex letters and 2-letter state codes (n × 2). Ñ never reaches here: identity has
    already turned it into X."""
    n = birth_days.shape[0]
    m = np.zeros((n, 18), dtype=np.uint8)
    x = ord("X")
    m[:, 0] = paternal[:, 0]
    m[:, 1] = paternal[:, 1]
    m[:, 2] = np.where(has_maternal, maternal[:, 0], x)
    m[:, 3] = given[:, 0]
    year, month, day = split_dates(birth_days)
    m[:, 4:6] = _digits(year % 100, 2)
    m[:, 6:8] = _digits(month, 2)
    m[:, 8:10] = _digits(day, 2)
    m[:, 10] = sex
    m[:, 11:13] = state
    m[:, 13] = paternal[:, 2]
    m[:, 14] = np.where(has_maternal, maternal[:, 2], x)
    m[:, 15] = given[:, 1]
    initials = np.ascontiguousarray(m[:, :4]).view("S4").ravel()
    m[np.isin(initials, _INCONVENIENT), 1] = x
    return m


def finish_curps(matrix: NDArray[np.uint8], homoclave: NDArray[np.uint8]) -> NDArray[np.str_]:
    """Set the homoclave and check digit in place and return the CURPs as strings."""
    matrix[:, 16] = homoclave
    matrix[:, 17] = check_digits(matrix[:, :17])
    return np.ascontiguousarray(matrix).view("S18").ravel().astype("U18")


def verify_sample(
    curps: NDArray[np.str_],
    people: list[tuple[str, str, str | None, date, str, str]],
    indices: NDArray[np.int64],
) -> None:
    """Rebuild ``people`` (given, paternal, maternal, birth date, sex, state) with identity's
    ``build_curp`` and raise ``RuntimeError`` on the first disagreement with ``curps[indices]``."""
    for person, index in zip(people, indices.tolist(), strict=True):
        given, paternal, maternal, birth, sex, state = person
        expected = build_curp(
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            birth_date=birth,
            sex=sex,
            state=state,
            homoclave=str(curps[index])[16],
        )
        if expected != curps[index]:
            # Position and characters only: a CURP is personal data and stays out of messages.
            wrong = [
                k + 1 for k, (a, b) in enumerate(zip(expected, str(curps[index]), strict=True)) if a != b
            ]
            raise RuntimeError(f"vectorised CURP differs from identity.build_curp at positions {wrong}")


def population_curps(
    rng: np.random.Generator,
    vocab: Vocabulary,
    *,
    paternal: NDArray[np.int32],
    maternal: NDArray[np.int32],
    given: NDArray[np.int32],
    second: NDArray[np.int32],
    birth_days: NDArray[np.int64],
    sex: NDArray[np.int8],
    birth_state: NDArray[np.int16],
) -> NDArray[np.str_]:
    """Everybody's CURP: unique homoclaves, valid check digits, a sample rebuilt by identity."""
    surname_chars = surname_characters(vocab.surnames)
    width = len(vocab.given) + 1
    form_key = given.astype(np.int64) * width + (second + 1)
    forms, form_of = np.unique(form_key, return_inverse=True)
    form_text = [
        vocab.given[int(k // width)]
        if k % width == 0
        else f"{vocab.given[int(k // width)]} {vocab.given[int(k % width) - 1]}"
        for k in forms.tolist()
    ]
    given_chars = given_characters(form_text)[form_of]
    state_codes = np.frombuffer("".join(STATE_CODES).encode("ascii"), dtype=np.uint8).reshape(-1, 2)
    sex_codes = np.frombuffer("HMX".encode("ascii"), dtype=np.uint8)
    n = int(paternal.shape[0])
    matrix = curp16_matrix(
        paternal=surname_chars[paternal],
        maternal=surname_chars[np.maximum(maternal, 0)],
        has_maternal=maternal >= 0,
        given=given_chars,
        birth_days=birth_days,
        sex=sex_codes[sex],
        state=state_codes[birth_state],
    )
    # RENAPO gives people sharing characters 1–16 different homoclaves: here a random start per
    # group plus the person's rank within it.
    halves = np.ascontiguousarray(matrix[:, :16]).view(">u8")
    order = np.lexsort((halves[:, 1], halves[:, 0]))
    sorted_halves = halves[order]
    starts = np.r_[True, (sorted_halves[1:] != sorted_halves[:-1]).any(axis=1)]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - group_start
    base: NDArray[np.int64] = rng.integers(0, 36, n)
    start = np.empty(n, dtype=np.int64)
    start[order] = base[order][group_start]
    born_2000 = birth_days >= (date(2000, 1, 1) - EPOCH).days
    homoclave = np.where(born_2000, (start + rank) % 26 + ord("A"), (start + rank) % 10 + ord("0"))
    out = finish_curps(matrix, homoclave.astype(np.uint8))
    sample = rng.choice(n, size=min(n, CHECK_SAMPLE), replace=False)
    people = [
        (
            form_text[int(form_of[i])],
            vocab.surnames[int(paternal[i])],
            vocab.surnames[int(maternal[i])] if maternal[i] >= 0 else None,
            EPOCH + timedelta(days=int(birth_days[i])),
            SEX_LETTERS[int(sex[i])],
            STATE_CODES[int(birth_state[i])],
        )
        for i in sample.tolist()
    ]
    verify_sample(out, people, sample.astype(np.int64))
    return out
