"""CURP format, check digit, decoding, construction and consistency verdicts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.mx import curp as stdnum_curp

from interop.identity.curp import (
    ALPHABET,
    INCONVENIENT_WORDS,
    STATE_CODES,
    CurpProblem,
    Sex,
    Verdict,
    assess_curp,
    build_curp,
    check_digit,
    decode_curp,
    derive_curp16,
    validate_curp,
)

from .strategies import Person, curps, homoclaves, people

# A synthetic person used throughout: JUAN PEREZ LOPEZ, born 1948-05-12 in Jalisco.
JUAN = "PELJ480512HJCRPN30"
JUAN_RECORD: dict[str, object] = {
    "given_names": "Juan",
    "paternal_surname": "Pérez",
    "maternal_surname": "López",
    "birth_date": date(1948, 5, 12),
    "sex": "H",
    "state": "JC",
}


def _with_check_digit(curp17: str) -> str:
    return curp17 + check_digit(curp17)


def _replace(curp: str, index: int, char: str) -> str:
    return curp[:index] + char + curp[index + 1 :]


# --- check digit --------------------------------------------------------------------------------


def test_check_digit_follows_the_published_formula() -> None:
    curp17 = JUAN[:17]
    total = sum(ALPHABET.index(c) * (18 - i) for i, c in enumerate(curp17))
    assert check_digit(curp17) == str((10 - total % 10) % 10) == "0"


def test_check_digit_values_enye_between_n_and_o() -> None:
    assert ALPHABET.index("Ñ") == 24
    assert ALPHABET.index("O") == 25
    with_enye = "ÑUNE480512HJCRPN3"
    total = sum(ALPHABET.index(c) * (18 - i) for i, c in enumerate(with_enye))
    assert check_digit(with_enye) == str((10 - total % 10) % 10)
    assert check_digit(with_enye) != check_digit("NUNE480512HJCRPN3")


@pytest.mark.parametrize(
    "bad", ["", "PELJ480512HJCRPN", "PELJ480512HJCRPN3X", "PELJ480512HJCRPN$", "pelj480512hjcrpn3"]
)
def test_check_digit_rejects_what_is_not_17_alphabet_characters(bad: str) -> None:
    with pytest.raises(ValueError, match="17 characters"):
        check_digit(bad)


@given(curps())
def test_check_digit_of_built_curp_agrees_with_stdnum(curp: str) -> None:
    assert stdnum_curp.calc_check_digit(curp[:17]) == curp[17]


@given(curps(), st.data())
def test_single_character_change_is_caught_unless_the_weight_hides_it(curp: str, data: st.DataObject) -> None:
    """The check digit sees a change at position i from value a to b exactly when
    weight·(b − a) is not a multiple of 10. Position 9 (weight 10, the day's tens digit) is never
    seen, nor are even steps at weights 5 and 15 or steps of 5 at even weights; the format and the
    calendar catch some of those. This is the scheme's limit, not a bug."""
    index = data.draw(st.integers(min_value=0, max_value=17))
    new = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != curp[index]))
    changed = _replace(curp, index, new)
    check = validate_curp(changed)
    if index == 17:
        assert not check.valid
        return
    weight = 18 - index
    visible = (weight * (ALPHABET.index(new) - ALPHABET.index(curp[index]))) % 10 != 0
    assert (check_digit(changed[:17]) != changed[17]) == visible
    if visible:
        assert not check.valid


def test_the_day_tens_digit_is_invisible_to_the_check_digit() -> None:
    changed = _replace(JUAN, 8, "2")  # born the 22nd instead of the 12th
    assert check_digit(changed[:17]) == changed[17]
    assert validate_curp(changed).valid
    assert decode_curp(changed).birth_date == date(1948, 5, 22)
    assert not validate_curp(_replace(JUAN, 8, "4")).valid  # day 42 is caught by the calendar


# --- validation ---------------------------------------------------------------------------------


def test_valid_curp_is_normalised_from_lower_case_and_separators() -> None:
    check = validate_curp(" pelj-480512 hjcrpn30 ")
    assert check.valid
    assert check.value == JUAN
    assert check.reason is None
    assert check.problem is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, CurpProblem.EMPTY),
        ("   ", CurpProblem.EMPTY),
        ("PELJ480512HJCRPN3", CurpProblem.LENGTH),
        ("PELJ480512HJCRPN301", CurpProblem.LENGTH),
        ("PEL1480512HJCRPN30", CurpProblem.FORMAT),  # digit among the first four letters
        ("PELJ48O512HJCRPN30", CurpProblem.FORMAT),  # letter O in the date
        ("PELJ480512QJCRPN30", CurpProblem.FORMAT),  # sex Q
        ("PELJ480512HJCRPN3A", CurpProblem.FORMAT),  # letter as check digit
        ("PELJ480512HJCRP$30", CurpProblem.FORMAT),
        ("ÑELJ480512HJCRPN30", CurpProblem.FORMAT),  # RENAPO writes Ñ as X
        (_with_check_digit("BUEY480512HJCRPN3"), CurpProblem.INCONVENIENT_WORD),
        (_with_check_digit("PELJ481312HJCRPN3"), CurpProblem.BIRTH_DATE),
        (_with_check_digit("PELJ000229HJCRPN3"), CurpProblem.BIRTH_DATE),  # 1900 was not a leap year
        (_with_check_digit("PELJ480512HZZRPN3"), CurpProblem.STATE),
        (_with_check_digit("PELJ480512HJCRAN3"), CurpProblem.CONSONANTS),
        ("PELJ480512HJCRPN31", CurpProblem.CHECK_DIGIT),
    ],
)
def test_invalid_curp_names_its_problem(raw: str | None, problem: CurpProblem) -> None:
    check = validate_curp(raw)
    assert not check.valid
    assert check.problem is problem
    assert check.reason
    assert (check.value is None) == (problem is CurpProblem.EMPTY)


def test_century_comes_from_character_17() -> None:
    assert validate_curp(_with_check_digit("PELJ000229HJCRPNA")).valid  # 2000 was a leap year
    assert decode_curp(_with_check_digit("PELJ000229HJCRPNA")).birth_date == date(2000, 2, 29)
    assert decode_curp(_with_check_digit("PELJ480512HJCRPN3")).birth_date == date(1948, 5, 12)
    assert decode_curp(_with_check_digit("PELJ480512HJCRPNZ")).birth_date == date(2048, 5, 12)


def test_sex_x_is_accepted_although_stdnum_rejects_it() -> None:
    curp = _with_check_digit("MOSA901010XDFRLL0")
    assert not stdnum_curp.is_valid(curp)
    assert validate_curp(curp).valid
    assert decode_curp(curp).sex is Sex.X


def test_every_state_code_validates_including_born_abroad() -> None:
    assert len(STATE_CODES) == 33
    assert STATE_CODES["NE"] == "Nacido en el extranjero"
    for code in STATE_CODES:
        assert validate_curp(_with_check_digit(f"PELJ480512H{code}RPN3")).valid, code


def test_inconvenient_words_are_the_published_81() -> None:
    assert len(INCONVENIENT_WORDS) == 81
    assert {"BUEY", "PEDO", "CACA", "WUEY", "QULO"} <= INCONVENIENT_WORDS


@given(curps())
def test_validation_is_idempotent_and_case_blind(curp: str) -> None:
    check = validate_curp(curp.lower())
    assert check.valid
    assert check.value == curp
    assert validate_curp(check.value) == check


# --- decoding and construction ------------------------------------------------------------------


def test_decode_reads_a_curp_whose_only_fault_is_the_check_digit() -> None:
    parts = decode_curp("PELJ480512HJCRPN31")
    assert (parts.birth_date, parts.sex, parts.state, parts.homoclave) == (
        date(1948, 5, 12),
        Sex.H,
        "JC",
        "3",
    )
    assert parts.state_name == "Jalisco"
    assert parts.name_part.characters == "PELJRPN"


@pytest.mark.parametrize("bad", ["", "PELJ480512HJCRPN3", _with_check_digit("PELJ481312HJCRPN3")])
def test_decode_refuses_malformed_curp(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot be decoded"):
        decode_curp(bad)


@given(people(), st.data())
def test_derive_then_decode_round_trips_date_sex_and_state(person: Person, data: st.DataObject) -> None:
    curp = person.curp(data.draw(homoclaves(person.birth_date)))
    assert validate_curp(curp).valid
    parts = decode_curp(curp)
    assert parts.birth_date == person.birth_date
    assert parts.sex is person.sex
    assert parts.state == person.state
    assert curp[:16] == person.curp16()


@given(people())
def test_derived_curp16_never_spells_an_inconvenient_word(person: Person) -> None:
    curp16 = person.curp16()
    assert curp16[:4] not in INCONVENIENT_WORDS
    assert all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in curp16[:4] + curp16[13:16])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"homoclave": "A"}, "digit for births to 1999"),
        ({"homoclave": "10"}, "one character"),
        ({"homoclave": "Ñ"}, "one character"),
        ({"birth_date": date(2003, 1, 1)}, "digit for births to 1999"),  # homoclave 3 with a 2003 birth
        ({"birth_date": date(1899, 12, 31)}, "1900 to 2099"),
        ({"state": "ZZ"}, "unknown entidad"),
        ({"sex": "Q"}, "unrecognised sex"),
        ({"given_names": "XXXX"}, "given name"),
        ({"paternal_surname": None, "maternal_surname": "NO APLICA"}, "surname"),
    ],
)
def test_build_curp_refuses_what_cannot_be_encoded(change: dict[str, object], message: str) -> None:
    arguments = {**JUAN_RECORD, "homoclave": "3", **change}
    with pytest.raises(ValueError, match=message):
        build_curp(**arguments)  # type: ignore[arg-type]


def test_state_may_be_given_as_name_or_inegi_number() -> None:
    base = {k: v for k, v in JUAN_RECORD.items() if k != "state"}
    for state in ("JC", "jc", "Jalisco", "14"):
        assert derive_curp16(**base, state=state) == JUAN[:16]  # type: ignore[arg-type]


def test_sex_may_be_spelled_out() -> None:
    base = {k: v for k, v in JUAN_RECORD.items() if k != "sex"}
    for sex in ("H", "hombre", "Masculino", "male", Sex.H):
        assert derive_curp16(**base, sex=sex) == JUAN[:16]  # type: ignore[arg-type]
    assert derive_curp16(**base, sex="F")[10] == "M"  # type: ignore[arg-type]


# --- consistency --------------------------------------------------------------------------------


def _assess(curp: str | None, **change: object) -> object:
    return assess_curp(curp, **{**JUAN_RECORD, **change})  # type: ignore[arg-type]


def test_consistent_record_trusts_the_curp() -> None:
    result = assess_curp(JUAN, **JUAN_RECORD)  # type: ignore[arg-type]
    assert result.trusted
    assert result.check.valid
    assert {result.names, result.birth_date, result.sex, result.state} == {Verdict.AGREES}


def test_birth_date_contradiction_untrusts() -> None:
    result = assess_curp(JUAN, **{**JUAN_RECORD, "birth_date": date(1948, 5, 13)})  # type: ignore[arg-type]
    assert result.birth_date is Verdict.CONTRADICTS
    assert result.sex is Verdict.AGREES
    assert not result.trusted


def test_same_yymmdd_in_another_century_contradicts() -> None:
    result = assess_curp(JUAN, **{**JUAN_RECORD, "birth_date": date(2048, 5, 12)})  # type: ignore[arg-type]
    assert result.birth_date is Verdict.CONTRADICTS
    assert not result.trusted


def test_sex_contradiction_untrusts() -> None:
    result = assess_curp(JUAN, **{**JUAN_RECORD, "sex": "M"})  # type: ignore[arg-type]
    assert result.sex is Verdict.CONTRADICTS
    assert not result.trusted


def test_state_and_names_contradictions_are_evidence_but_keep_trust() -> None:
    record = {**JUAN_RECORD, "state": "Oaxaca", "given_names": "Pedro", "maternal_surname": None}
    result = assess_curp(JUAN, **record)  # type: ignore[arg-type]
    assert result.state is Verdict.CONTRADICTS
    assert result.names is Verdict.CONTRADICTS
    assert result.name_characters_agreeing == 3  # PEXP…RXD against PELJ…RPN: P, E, R agree
    assert result.trusted


def test_missing_record_fields_are_unknown() -> None:
    result = assess_curp(
        JUAN,
        given_names=None,
        paternal_surname=None,
        maternal_surname=None,
        birth_date=None,
        sex=None,
        state=None,
    )
    assert {result.names, result.birth_date, result.sex, result.state} == {Verdict.UNKNOWN}
    assert result.name_characters_agreeing is None
    assert result.trusted  # a valid CURP that nothing contradicts


def test_wrong_check_digit_is_compared_but_never_trusted() -> None:
    result = assess_curp("PELJ480512HJCRPN31", **JUAN_RECORD)  # type: ignore[arg-type]
    assert result.check.problem is CurpProblem.CHECK_DIGIT
    assert result.birth_date is Verdict.AGREES
    assert result.names is Verdict.AGREES
    assert not result.trusted


@pytest.mark.parametrize("curp", [None, "", "NOT A CURP", _with_check_digit("PELJ481312HJCRPN3")])
def test_malformed_curp_says_nothing(curp: str | None) -> None:
    result = assess_curp(curp, **JUAN_RECORD)  # type: ignore[arg-type]
    assert {result.names, result.birth_date, result.sex, result.state} == {Verdict.UNKNOWN}
    assert not result.trusted


@given(people(), st.data())
def test_a_person_always_agrees_with_their_own_curp(person: Person, data: st.DataObject) -> None:
    curp = person.curp(data.draw(homoclaves(person.birth_date)))
    result = assess_curp(
        curp,
        given_names=person.given_names,
        paternal_surname=person.paternal_surname,
        maternal_surname=person.maternal_surname,
        birth_date=person.birth_date,
        sex=person.sex,
        state=person.state,
    )
    assert result.trusted
    assert {result.names, result.birth_date, result.sex, result.state} == {Verdict.AGREES}


# --- agreement with python-stdnum ---------------------------------------------------------------

_CONSONANTS = set("BCDFGHJKLMNPQRSTVWXYZ")


@st.composite
def curp_like(draw: st.DrawFn) -> str:
    """Valid CURPs with one or two characters replaced, so that every rule gets broken sometimes."""
    curp = draw(curps())
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        index = draw(st.integers(min_value=0, max_value=17))
        curp = _replace(curp, index, draw(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
    return curp


@given(curp_like())
def test_validation_agrees_with_stdnum_for_sex_h_and_m(curp: str) -> None:
    ours = validate_curp(curp).valid
    if curp[10] == "X":
        assert not stdnum_curp.is_valid(curp)
        return
    consonants_ok = set(curp[13:16]) <= _CONSONANTS
    assert ours == (stdnum_curp.is_valid(curp) and consonants_ok)
