"""Name normalisation for comparison and the words CURP derivation reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interop.identity.names import (
    curp_words,
    fold_name,
    normalize_given_names,
    normalize_surname,
    repair_mojibake,
    strip_accents,
)

names_text = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnñopqrstuvwxyzÁÉÍÓÚÜÑáéíóúü .,-'/JMA")), max_size=30
)


@pytest.mark.parametrize(
    ("raw", "value", "main"),
    [
        ("María Guadalupe", "MARIA GUADALUPE", "GUADALUPE"),
        ("Ma. Guadalupe", "MARIA GUADALUPE", "GUADALUPE"),
        ("MA.GUADALUPE", "MARIA GUADALUPE", "GUADALUPE"),
        ("ma guadalupe", "MARIA GUADALUPE", "GUADALUPE"),
        ("J. Refugio", "JOSE REFUGIO", "REFUGIO"),
        ("José Luis", "JOSE LUIS", "LUIS"),
        ("J Jesús", "J JESUS", "JESUS"),
        ("María", "MARIA", "MARIA"),
        ("MARIA DE LOS ÁNGELES", "MARIA DE LOS ANGELES", "ANGELES"),
        ("Juan Carlos", "JUAN CARLOS", "JUAN"),
        ("  iñigo  ", "INIGO", "INIGO"),
        ("Mario", "MARIO", "MARIO"),  # MA inside a word is not an abbreviation
        ("Magdalena", "MAGDALENA", "MAGDALENA"),
        ("Ma.", "MARIA", "MARIA"),
    ],
)
def test_given_names(raw: str, value: str, main: str) -> None:
    names = normalize_given_names(raw)
    assert names is not None
    assert names.value == value
    assert names.main == main
    assert names.first == value.split()[0]
    assert names.tokens == tuple(value.split())


def test_given_names_keep_particles_in_value_but_not_in_keys() -> None:
    names = normalize_given_names("María de los Ángeles")
    assert names is not None
    assert names.tokens == ("MARIA", "DE", "LOS", "ANGELES")
    assert names.key_tokens == ("MARIA", "ANGELES")


@pytest.mark.parametrize(
    ("raw", "value", "key"),
    [
        ("Pérez", "PEREZ", "PEREZ"),
        ("de la Cruz", "DE LA CRUZ", "CRUZ"),
        ("DEL VALLE", "DEL VALLE", "VALLE"),
        ("Núñez", "NUNEZ", "NUNEZ"),
        ("Van der Berg", "VAN DER BERG", "BERG"),
        ("Mc Gregor", "MC GREGOR", "GREGOR"),
        ("D'Artois", "DARTOIS", "DARTOIS"),
        ("López-Portillo", "LOPEZ PORTILLO", "LOPEZ PORTILLO"),
        ("Agüero", "AGUERO", "AGUERO"),
        ("de la O", "DE LA O", "O"),
        ("De La", "DE LA", "DE LA"),  # only particles: kept rather than emptied
        ("Ma", "MA", "MA"),  # no MA → MARIA expansion in surnames
    ],
)
def test_surnames(raw: str, value: str, key: str) -> None:
    surname = normalize_surname(raw)
    assert surname is not None
    assert (surname.value, surname.key) == (value, key)


@pytest.mark.parametrize(
    "junk", [None, "", "   ", ".", "-", "X", "XXXX", "x x", "N/A", "NA", "No aplica", "SIN APELLIDO", "null"]
)
def test_missing_values_are_none(junk: str | None) -> None:
    assert normalize_surname(junk) is None
    assert normalize_given_names(junk) is None
    assert curp_words(junk) == ()


def test_surnames_are_never_concatenated() -> None:
    paternal, maternal = normalize_surname("García"), normalize_surname("López")
    assert paternal is not None
    assert maternal is not None
    assert (paternal.value, maternal.value) == ("GARCIA", "LOPEZ")


def test_strip_accents_can_keep_enye() -> None:
    assert strip_accents("Peña Ñúñez ü") == "PENA NUNEZ U"
    assert strip_accents("Peña Ñúñez ü", keep_enye=True) == "PEÑA ÑUÑEZ U"
    assert strip_accents("PEN\u0303A", keep_enye=True) == "PEÑA"  # decomposed input


def test_curp_words_keep_special_characters_and_split_after_periods() -> None:
    assert curp_words("Ma.Guadalupe") == ("MA.", "GUADALUPE")
    assert curp_words("d/Amico  Peña") == ("D/AMICO", "PEÑA")
    assert curp_words("D'Artois") == ("D'ARTOIS",)


@given(names_text)
def test_given_name_normalisation_is_idempotent(raw: str) -> None:
    once = normalize_given_names(raw)
    if once is None:
        return
    twice = normalize_given_names(once.value)
    assert twice == once


@given(names_text)
def test_surname_normalisation_is_idempotent(raw: str) -> None:
    once = normalize_surname(raw)
    if once is None:
        return
    assert normalize_surname(once.value) == once


@given(names_text)
def test_folded_names_hold_only_capitals_and_single_spaces(raw: str) -> None:
    folded = fold_name(raw, given=True)
    assert set(folded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ ")
    assert "  " not in folded
    assert folded == folded.strip()


@given(names_text)
def test_case_and_accents_do_not_change_the_value(raw: str) -> None:
    assert fold_name(raw.lower()) == fold_name(raw.upper()) == fold_name(strip_accents(raw))


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        ("PEÃ‘A", "PEÑA"),
        ("MUÃ‘OZ", "MUÑOZ"),
        ("JOSÃ‰", "JOSÉ"),
        ("MarÃ\u00ada", "María"),
        ("NÃºÃ±ez", "Núñez"),
        ("JOÃO", "JOÃO"),  # a real Ã is left alone
        ("PEÑA", "PEÑA"),
    ],
)
def test_utf8_read_as_windows_1252_is_repaired(raw: str, repaired: str) -> None:
    assert repair_mojibake(raw) == repaired
    assert fold_name(raw) == fold_name(repaired)


def test_repaired_names_derive_the_same_curp_letters() -> None:
    assert curp_words("MUÃ‘OZ") == ("MUÑOZ",)
