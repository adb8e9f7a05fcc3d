"""The worked-example tables against derivation, construction, validation, decoding and assessment."""

from __future__ import annotations

import pytest

from interop.identity.curp import (
    Verdict,
    assess_curp,
    build_curp,
    decode_curp,
    derive_curp16,
    derive_name_part,
    validate_curp,
)

from .examples import CurpExample, InstructivoExample, curp_examples, instructivo_examples

EXAMPLES = curp_examples()
INSTRUCTIVO = instructivo_examples()


def _id(example: CurpExample) -> str:
    return example.rule


def test_the_table_has_at_least_forty_examples_and_covers_every_rule() -> None:
    assert len(EXAMPLES) >= 40
    assert len({e.curp for e in EXAMPLES}) == len(EXAMPLES)
    rules = " ".join(e.rule for e in EXAMPLES)
    for topic in ("MARIA", "MA.", "JOSE", "J.", "particle", "Ñ", "missing", "inconvenient", "2000+", "sex X"):
        assert topic in rules, topic
    assert any(e.state == "NE" for e in EXAMPLES)
    assert any(e.birth_date.year >= 2000 and e.curp[16].isalpha() for e in EXAMPLES)
    assert any(e.maternal_surname is None for e in EXAMPLES)
    assert sum("inconvenient word" in e.rule and e.curp[1] == "X" for e in EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_derive_curp16_gives_the_worked_characters(example: CurpExample) -> None:
    assert (
        derive_curp16(
            given_names=example.given_names,
            paternal_surname=example.paternal_surname,
            maternal_surname=example.maternal_surname,
            birth_date=example.birth_date,
            sex=example.sex,
            state=example.state,
        )
        == example.curp[:16]
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_build_curp_appends_homoclave_and_check_digit(example: CurpExample) -> None:
    assert (
        build_curp(
            given_names=example.given_names,
            paternal_surname=example.paternal_surname,
            maternal_surname=example.maternal_surname,
            birth_date=example.birth_date,
            sex=example.sex,
            state=example.state,
            homoclave=example.curp[16],
        )
        == example.curp
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_worked_curp_validates_and_decodes_to_its_person(example: CurpExample) -> None:
    check = validate_curp(example.curp)
    assert check.valid, check.reason
    assert check.value == example.curp
    parts = decode_curp(example.curp)
    assert parts.birth_date == example.birth_date
    assert parts.sex == example.sex
    assert parts.state == example.state
    assert parts.born_abroad == (example.state == "NE")


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_worked_curp_agrees_with_its_own_record(example: CurpExample) -> None:
    consistency = assess_curp(
        example.curp,
        given_names=example.given_names,
        paternal_surname=example.paternal_surname,
        maternal_surname=example.maternal_surname,
        birth_date=example.birth_date,
        sex=example.sex,
        state=example.state,
    )
    assert (consistency.names, consistency.birth_date, consistency.sex, consistency.state) == (
        Verdict.AGREES,
    ) * 4
    assert consistency.name_characters_agreeing == 7
    assert consistency.trusted


@pytest.mark.parametrize("example", INSTRUCTIVO, ids=lambda e: e.initials or e.consonants)
def test_instructivo_examples(example: InstructivoExample) -> None:
    part = derive_name_part(
        given_names=example.given_names,
        paternal_surname=example.paternal_surname,
        maternal_surname=example.maternal_surname,
    )
    if example.initials:
        assert part.initials == example.initials
    if example.consonants:
        assert part.consonants == example.consonants
