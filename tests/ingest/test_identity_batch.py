"""The import's cached / vectorised identity rules agree with ``interop.identity`` itself."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interop.identity.curp import ALPHABET, assess_curp, build_curp, validate_curp
from interop.identity.dates import parse_date
from interop.identity.keys import curp16_of
from interop.identity.phones import normalize_phone
from interop.identity.sex import parse_sex
from interop.identity.states import state_code
from interop.ingest.identity_batch import IdentityBatch
from interop.synth.generate import synthesize


@pytest.fixture(scope="module")
def synth_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    out: Path = tmp_path_factory.mktemp("synth")
    synthesize(out, people=3000, seed=11)
    rows: list[dict[str, str]] = []
    for name in ("pension_roll.csv", "patients.csv"):
        with (out / name).open(encoding="utf-8", newline="") as handle:
            rows += [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    return rows


def _record(row: dict[str, str]) -> tuple[date | None, str | None, str | None]:
    birth = parse_date(row["fecha_nacimiento"]).value if row["fecha_nacimiento"] else None
    sex = parse_sex(row["sexo"])
    return birth, (sex.value if sex else None), state_code(row["entidad"]) if row["entidad"] else None


def test_curp_verdicts_match_assess_curp_on_synthetic_records(synth_rows: list[dict[str, str]]) -> None:
    batch = IdentityBatch()
    rows = [r for r in synth_rows if r["curp"]]
    records = [_record(r) for r in rows]
    verdicts = batch.curps(
        [r["curp"] for r in rows],
        [b for b, _, _ in records],
        [s for _, s, _ in records],
        [(r["nombre"], r["primer_apellido"], r["segundo_apellido"]) for r in rows],
        [e for _, _, e in records],
    )
    assert len(rows) > 2000
    for row, (birth, sex, state), verdict in zip(rows, records, verdicts, strict=True):
        check = validate_curp(row["curp"])
        expected = assess_curp(
            row["curp"],
            given_names=row["nombre"] or None,
            paternal_surname=row["primer_apellido"] or None,
            maternal_surname=row["segundo_apellido"] or None,
            birth_date=birth,
            sex=sex,
            state=state,
        )
        assert (verdict.curp is not None) == check.valid, row["curp"]
        assert verdict.trusted == expected.trusted, row["curp"]


def test_curp16_and_phones_match_identity_on_synthetic_records(synth_rows: list[dict[str, str]]) -> None:
    batch = IdentityBatch()
    for row in synth_rows:
        birth, sex, state = _record(row)
        expected = curp16_of(
            given_names=row["nombre"] or None,
            paternal_surname=row["primer_apellido"] or None,
            maternal_surname=row["segundo_apellido"] or None,
            birth_date=birth,
            sex=sex,
            state=state,
        )
        got = batch.curp16(row["nombre"], row["primer_apellido"], row["segundo_apellido"], birth, sex, state)
        assert got == expected, row["record_id"]
        if row["telefono"]:
            assert batch.phone(row["telefono"])[0] == normalize_phone(row["telefono"]).value, row["telefono"]


_CURP_CHARS = st.sampled_from([*list(ALPHABET), "-", " ", "a"])


@settings(max_examples=400, deadline=None)
@given(
    base=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    sex=st.sampled_from(["H", "M", "X"]),
    position=st.integers(min_value=0, max_value=17),
    replacement=_CURP_CHARS,
    record_sex=st.sampled_from(["H", "M", None]),
    shift=st.integers(min_value=-1, max_value=1),
)
def test_curp_fast_path_agrees_on_mutated_curps(
    base: date, sex: str, position: int, replacement: str, record_sex: str | None, shift: int
) -> None:
    homoclave = "0" if base.year < 2000 else "A"
    curp = build_curp(
        given_names="JUAN",
        paternal_surname="GARCIA",
        maternal_surname="LOPEZ",
        birth_date=base,
        sex=sex,
        state="JC",
        homoclave=homoclave,
    )
    mutated = curp[:position] + replacement + curp[position + 1 :]
    record_birth = date.fromordinal(base.toordinal() + shift)
    verdict = IdentityBatch().curps(
        [mutated], [record_birth], [record_sex], [("JUAN", "GARCIA", "LOPEZ")], ["JC"]
    )[0]
    expected = assess_curp(
        mutated,
        given_names="JUAN",
        paternal_surname="GARCIA",
        maternal_surname="LOPEZ",
        birth_date=record_birth,
        sex=record_sex,
        state="JC",
    )
    assert (verdict.curp is not None) == validate_curp(mutated).valid
    assert verdict.trusted == expected.trusted


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[0-9 ()+-]{0,16}", fullmatch=True))
def test_phone_fast_path_agrees(raw: str) -> None:
    assert IdentityBatch().phone(raw)[0] == normalize_phone(raw).value
