"""Entidad codes and sex spellings."""

from __future__ import annotations

import pytest
from stdnum.mx import curp as stdnum_curp

from interop.identity.sex import Sex, parse_sex, require_sex
from interop.identity.states import INEGI_STATE_CODES, STATE_CODES, state_code


def test_state_codes_are_renapos_32_plus_born_abroad() -> None:
    assert len(STATE_CODES) == 33
    assert set(STATE_CODES) == stdnum_curp._valid_states
    assert len(INEGI_STATE_CODES) == 32
    assert "NE" not in INEGI_STATE_CODES.values()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("JC", "JC"),
        (" oc ", "OC"),
        ("Oaxaca", "OC"),
        ("Nuevo León", "NL"),
        ("nuevo leon", "NL"),
        ("CDMX", "DF"),
        ("Ciudad de México", "DF"),
        ("Estado de México", "MC"),
        ("México", "MC"),
        ("01", "AS"),
        ("9", "DF"),
        ("09", "DF"),
        ("15", "MC"),
        ("20", "OC"),
        ("32", "ZS"),
        ("Extranjero", "NE"),
        ("NE", "NE"),
        ("ZZ", None),
        ("33", None),
        ("", None),
        (None, None),
    ],
)
def test_state_code_resolves_codes_numbers_and_names(raw: str | None, code: str | None) -> None:
    assert state_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "sex"),
    [
        ("H", Sex.H),
        ("hombre", Sex.H),
        ("Masculino", Sex.H),
        ("male", Sex.H),
        ("M", Sex.M),  # M is mujer, as on the CURP
        ("Mujer", Sex.M),
        ("FEMENINO", Sex.M),
        ("female", Sex.M),
        ("F", Sex.M),
        ("X", Sex.X),
        ("no binario", Sex.X),
        ("No-Binarie", Sex.X),
        (Sex.X, Sex.X),
        ("", None),
        ("?", None),
        (None, None),
    ],
)
def test_parse_sex(raw: str | None, sex: Sex | None) -> None:
    assert parse_sex(raw) is sex


def test_require_sex_refuses_unknown_values() -> None:
    assert require_sex("h") is Sex.H
    with pytest.raises(ValueError, match="unrecognised sex"):
        require_sex("unknown")
