"""Spanish phonetic key, CURP-derived blocking keys and birth-date keys."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop.identity.keys import birth_date_keys, curp10_of, curp16_of, phonetic_key, phonetic_word

from .strategies import Person, people


@pytest.mark.parametrize(
    "spellings",
    [
        ("Hernández", "Hernandes", "Ernandez"),  # silent H, Z = S
        ("González", "Gonsales", "GONZALES"),
        ("Vázquez", "Vasquez", "Bazques"),  # B = V, QU = K
        ("Jiménez", "Ximénez", "Gimenez"),  # J = X = G before E/I
        ("Xavier", "Javier", "Jabier"),
        ("Mejía", "Mexía", "Megia"),
        ("Quiroz", "Kiroz", "Quiros"),
        ("Celia", "Selia", "Zelia"),
        ("Llamas", "Yamas"),
        ("Guillermo", "Guiyermo"),
        ("Núñez", "Nunez"),
        ("Ibarra", "Ybarra", "Ibara"),
        ("Carlos", "Karlos"),
        ("Chávez", "Chavez", "Chabes"),
        ("Cuauhtémoc", "Cuautemoc"),
        ("de la Cruz", "Cruz", "Krus"),  # particles are left out
    ],
)
def test_variant_spellings_share_a_key(spellings: tuple[str, ...]) -> None:
    keys = {phonetic_key(s) for s in spellings}
    assert len(keys) == 1, keys
    assert keys != {""}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("García", "Garza"),
        ("María", "Mario"),
        ("Chávez", "Cabes"),  # CH is its own sound
        ("Gerardo", "Guerardo"),  # GE is /x/, GUE is /g/
        ("Lara", "Lira"),  # vowels are kept
        ("Ramos", "Ramon"),
    ],
)
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    assert phonetic_key(a) != phonetic_key(b)


def test_phonetic_key_of_several_words_and_of_nothing() -> None:
    assert phonetic_key("María de los Ángeles") == "MARIA ANJELES"
    assert phonetic_key(None) == ""
    assert phonetic_key("") == ""
    assert phonetic_key("...") == ""
    assert phonetic_word("HHH") == ""


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ ", max_size=20))
def test_key_ignores_case_and_accents(raw: str) -> None:
    accented = raw.replace("A", "Á").replace("E", "É").replace("U", "Ü")
    assert phonetic_key(raw) == phonetic_key(raw.lower()) == phonetic_key(accented)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12))
def test_b_v_and_s_z_never_matter(word: str) -> None:
    assert phonetic_word(word.replace("V", "B")) == phonetic_word(word)
    assert phonetic_word(word.replace("Z", "S")) == phonetic_word(word)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12))
def test_codes_never_repeat_a_sound(word: str) -> None:
    code = phonetic_word(word)
    assert all(a != b for a, b in itertools.pairwise(code))


@given(people())
def test_curp16_of_is_derive_curp16(person: Person) -> None:
    assert (
        curp16_of(
            given_names=person.given_names,
            paternal_surname=person.paternal_surname,
            maternal_surname=person.maternal_surname,
            birth_date=person.birth_date,
            sex=person.sex,
            state=person.state,
        )
        == person.curp16()
    )
    assert (
        curp10_of(
            given_names=person.given_names,
            paternal_surname=person.paternal_surname,
            maternal_surname=person.maternal_surname,
            birth_date=person.birth_date,
        )
        == person.curp16()[:10]
    )


@pytest.mark.parametrize("missing", ["given_names", "birth_date", "sex", "state"])
def test_curp16_of_is_none_when_a_piece_is_missing(missing: str) -> None:
    record: dict[str, object] = {
        "given_names": "Juan",
        "paternal_surname": "Pérez",
        "maternal_surname": "López",
        "birth_date": date(1948, 5, 12),
        "sex": "H",
        "state": "JC",
    }
    assert curp16_of(**record) == "PELJ480512HJCRPN"  # type: ignore[arg-type]
    assert curp16_of(**{**record, missing: None}) is None  # type: ignore[arg-type]


def test_curp16_and_curp10_are_none_for_unencodable_data() -> None:
    assert curp16_of(
        given_names="Juan", paternal_surname="Pérez", maternal_surname=None, birth_date=date(1948, 5, 12),
        sex="?", state="JC",
    ) is None  # fmt: skip
    assert curp10_of(
        given_names="XXXX", paternal_surname="Pérez", maternal_surname=None, birth_date=date(1948, 5, 12)
    ) is None  # fmt: skip
    assert curp10_of(
        given_names="Juan", paternal_surname="Pérez", maternal_surname=None, birth_date=date(1899, 5, 12)
    ) is None  # fmt: skip


def test_birth_date_keys() -> None:
    keys = birth_date_keys(date(1948, 5, 12))
    assert (keys.iso, keys.year, keys.year_month, keys.month_day) == ("1948-05-12", 1948, "1948-05", "05-12")
    assert keys.day_month_swapped == "1948-12-05"
    assert birth_date_keys(date(1948, 5, 13)).day_month_swapped is None  # no 13th month
    assert birth_date_keys(date(1948, 5, 5)).day_month_swapped is None  # swapping changes nothing


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_swapping_day_and_month_is_symmetric(day: date) -> None:
    swapped = birth_date_keys(day).day_month_swapped
    if swapped is not None:
        assert birth_date_keys(date.fromisoformat(swapped)).day_month_swapped == day.isoformat()
