"""The error model: each kind of noise at its configured rate, and what each one does to a value."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from interop.identity.curp import validate_curp
from interop.synth import noise
from interop.synth.generate import synthesize
from interop.synth.noise import Noise
from interop.synth.profile import ErrorModel, SourceNoise
from interop.synth.rendering import Context, render_identity

from .factories import World, Written


def _rendered(world: World, cfg: SourceNoise, seed: int) -> tuple[dict[str, list[str]], np.ndarray]:
    ctx = Context.build(world.pop, world.vocab, world.geo)
    who = np.arange(world.pop.size, dtype=np.int64)
    return render_identity(np.random.default_rng(seed), ctx, who, cfg)


def _eligible(world: World) -> dict[Noise, np.ndarray]:
    pop = world.pop
    given = pop.given_names(world.vocab, np.arange(pop.size))
    abbreviable = np.array([noise.can_abbreviate(g) for g in given])
    several = np.array([" " in g for g in given])
    has_maternal = pop.maternal >= 0
    d = pop.birth_days.astype("datetime64[D]")
    month = d.astype("datetime64[M]").astype(int) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(int) + 1
    return {
        Noise.abbreviated_given: abbreviable,
        Noise.dropped_second_given: several & ~abbreviable,
        Noise.missing_maternal: has_maternal,
        Noise.day_month_swap: (day <= 12) & (day != month),
        Noise.sex_flipped: pop.sex != 2,
    }


@pytest.mark.parametrize("source", ["roll", "patients"])
def test_every_noise_kind_at_its_configured_rate(world: World, source: str) -> None:
    cfg: SourceNoise = getattr(ErrorModel(), source)
    _columns, mask = _rendered(world, cfg, seed=21)
    eligible = _eligible(world)
    n = mask.size
    has = {kind: (mask & (1 << kind)) != 0 for kind in Noise}
    # Noise that applies only to what is there: a CURP, a birth date, a phone, a kept maternal surname.
    curp_present = ~has[Noise.missing_curp]
    conditional = {
        Noise.curp_of_relative: curp_present,
        Noise.curp_typo: curp_present & ~has[Noise.curp_of_relative],
        Noise.year_off_by_one: ~has[Noise.missing_birth_date],
        Noise.day_month_swap: eligible[Noise.day_month_swap] & ~has[Noise.missing_birth_date],
        Noise.formatted_phone: ~has[Noise.missing_phone],
        Noise.swapped_surnames: eligible[Noise.missing_maternal] & ~has[Noise.missing_maternal],
        Noise.mixed_case: ~has[Noise.lowercase],
    } | {k: v for k, v in eligible.items() if k is not Noise.day_month_swap}
    skipped = {Noise.enye_as_n, Noise.mojibake, Noise.duplicate}  # depend on the spelling style drawn
    for kind in Noise:
        if kind in skipped:
            continue
        rate = getattr(cfg, kind.name)
        base = conditional.get(kind, np.ones(n, dtype=bool))
        observed = has[kind][base].mean()
        sd = math.sqrt(rate * (1 - rate) / base.sum())
        assert abs(observed - rate) <= 4 * sd + 0.002, (kind.name, observed, rate)
        assert not (has[kind] & ~base).any(), kind.name


def test_noise_shows_in_the_text(world: World) -> None:
    columns, mask = _rendered(world, ErrorModel().patients, seed=5)
    has = {kind: (mask & (1 << kind)) != 0 for kind in Noise}
    curp = np.array(columns["curp"], dtype=object)
    assert (curp[has[Noise.missing_curp]] == "").all()
    assert (np.array(columns["telefono"], dtype=object)[has[Noise.missing_phone]] == "").all()
    assert (np.array(columns["fecha_nacimiento"], dtype=object)[has[Noise.missing_birth_date]] == "").all()
    typos = curp[has[Noise.curp_typo]]
    # The check digit catches most single-character slips, not all (a shift of 10 in a value).
    assert sum(not validate_curp(c).valid for c in typos) > 0.8 * typos.size
    assert not set(typos) & set(world.pop.curp[has[Noise.curp_typo]].tolist())
    lowered = np.array(columns["nombre"], dtype=object)[has[Noise.lowercase]]
    assert all(name == name.lower() for name in lowered)
    abbreviated = np.array(columns["nombre"], dtype=object)[
        has[Noise.abbreviated_given] & ~has[Noise.name_typo] & ~has[Noise.spurious_accent]
    ]
    assert abbreviated.size > 0
    assert all(name.strip().upper().startswith(("MA", "J.")) for name in abbreviated)
    clean = mask == 0
    assert sum("Ñ" in p for p, ok in zip(columns["primer_apellido"], clean, strict=True) if ok) > 0
    accented = (
        sum(any(c in "ÁÉÍÓÚ" for c in g) for g, ok in zip(columns["nombre"], clean, strict=True) if ok)
        / clean.sum()
    )
    assert 0.05 < accented < 0.5  # accents kept by some clerks, dropped by most


def test_profile_changes_the_files(tmp_path: Path, written: Written) -> None:
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"patients": {"missing_curp": 0.2}, "roll": {"missing_phone": 0.0}}))
    out = tmp_path / "out"
    synthesize(out, people=4000, seed=2, model=ErrorModel.from_file(profile))

    with (out / "patients.csv").open(encoding="utf-8") as handle:
        patients = list(csv.DictReader(handle))
    with (out / "pension_roll.csv").open(encoding="utf-8") as handle:
        roll = list(csv.DictReader(handle))
    missing = sum(not r["curp"] for r in patients) / len(patients)
    assert 0.17 < missing < 0.23
    assert all(r["telefono"] for r in roll)
    default_missing = sum(not r["curp"] for r in written.rows("patients.csv")) / written.summary.patient_rows
    assert 0.47 < default_missing < 0.53


def test_silent_profile_gives_clean_files(tmp_path: Path) -> None:
    zero = {f.name: 0.0 for f in fields(SourceNoise)}
    model = ErrorModel.from_json(json.dumps({"roll": zero, "patients": zero}))
    synthesize(tmp_path, people=3000, seed=9, model=model)

    with (tmp_path / "noise.csv").open(encoding="utf-8") as handle:
        logged = {row["noise"] for row in csv.DictReader(handle)}
    assert logged <= {"duplicate"}
    with (tmp_path / "patients.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(validate_curp(r["curp"]).valid for r in rows)
    assert all(r["nombre"] == r["nombre"].strip().upper() for r in rows)


# --- single values ---------------------------------------------------------------------------


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_typo_is_one_small_edit() -> None:
    rng = np.random.default_rng(0)
    for name in ("HERNANDEZ", "VAZQUEZ", "GUILLERMO", "UC", "PEÑA", "BAUTISTA"):
        for _ in range(50):
            changed = noise.typo(name, rng)
            assert changed != name
            assert 1 <= _edit_distance(name, changed) <= 2, (name, changed)


def test_abbreviations() -> None:
    rng = np.random.default_rng(1)
    seen = {noise.abbreviate("MARÍA GUADALUPE", rng) for _ in range(100)}
    assert seen <= {"MA. GUADALUPE", "MA GUADALUPE", "MA.GUADALUPE"}
    assert "MA. GUADALUPE" in seen
    assert noise.abbreviate("JOSE LUIS", rng) == "J. LUIS"
    assert noise.abbreviate("JUAN CARLOS", rng) == "JUAN CARLOS"
    assert not noise.can_abbreviate("MARÍA")


def test_drop_second_keeps_one_real_name() -> None:
    rng = np.random.default_rng(2)
    kept = {noise.drop_second("MARÍA DE LOS ÁNGELES", rng) for _ in range(50)}
    assert kept == {"MARÍA", "ÁNGELES"}
    assert {noise.drop_second("JUAN CARLOS", rng) for _ in range(20)} == {"JUAN"}


def test_curp_typo_breaks_exactly_one_place() -> None:
    rng = np.random.default_rng(3)
    curp = "HEGJ500101HDFRRN09"
    for _ in range(100):
        changed = noise.curp_typo(curp, rng)
        assert len(changed) == 18
        assert changed != curp
        assert sum(a != b for a, b in zip(curp, changed, strict=True)) in (1, 2)


def test_mojibake_and_accents() -> None:
    assert noise.mojibake("NUÑEZ") == "NUÃ‘EZ"
    assert "HERNÁNDEZ".translate(noise.STRIP_ACCENTS) == "HERNANDEZ"
    assert "PEÑA".translate(noise.STRIP_ACCENTS) == "PEÑA"
    rng = np.random.default_rng(4)
    accented = noise.spurious_accent("LOPEZ", rng)
    assert accented != "LOPEZ"
    assert accented.translate(noise.STRIP_ACCENTS) == "LOPEZ"


def test_formatted_phones_keep_the_digits() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        text = noise.formatted_phone("5512345678", rng)
        assert "".join(c for c in text if c.isdigit()).endswith("5512345678")
