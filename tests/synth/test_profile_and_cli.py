"""Error-model profiles and the ``interop synth`` command."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from interop.synth.cli import command
from interop.synth.profile import PATIENT_NOISE, ROLL_NOISE, ErrorModel, PopulationShape, SourceNoise


def test_defaults_are_the_documented_ones() -> None:
    model = ErrorModel()
    assert model.patients.missing_curp == 0.5
    assert model.roll.missing_curp < model.patients.missing_curp
    assert model.roll is ROLL_NOISE
    assert model.patients is PATIENT_NOISE
    docs = (Path(__file__).parents[2] / "docs" / "synth.md").read_text(encoding="utf-8")
    for knob in [f.name for f in fields(SourceNoise)] + [f.name for f in fields(PopulationShape)]:
        assert f"`{knob}`" in docs, knob
    for knob in [f.name for f in fields(ErrorModel)]:
        assert f"`{knob}`" in docs, knob


def test_profile_overrides_only_what_it_names() -> None:
    model = ErrorModel.from_json(
        json.dumps(
            {"patients": {"missing_curp": 0.7}, "twins": 0.01, "population": {"people_per_unit": 1500}}
        )
    )
    assert model.patients.missing_curp == 0.7
    assert model.patients.name_typo == PATIENT_NOISE.name_typo
    assert model.roll == ROLL_NOISE
    assert model.twins == 0.01
    assert model.population.people_per_unit == 1500.0


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"patients": {"missing_crup": 0.1}}, "unknown error-model key: patients.missing_crup"),
        ({"roll": {"missing_curp": 1.5}}, "roll.missing_curp must be a rate between 0 and 1"),
        ({"roll": 0.3}, "roll must be a JSON object"),
        ({"twins": "many"}, "twins must be a number"),
        ({"population": {"people_per_unit": 0}}, "population.people_per_unit must be positive"),
        ([1, 2], "an error-model profile is a JSON object"),
    ],
)
def test_bad_profiles_are_refused_by_name(profile: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        ErrorModel.from_json(json.dumps(profile))


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("synth")(command)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "synth" a named subcommand, as under interop
        pass

    return app


def test_command_writes_files_and_prints_a_summary(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"patients": {"missing_curp": 0.4}}))
    result = CliRunner().invoke(
        _app(),
        [
            "synth",
            "--out",
            str(tmp_path / "out"),
            "--people",
            "2000",
            "--seed",
            "3",
            "--profile",
            str(profile),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "pension_roll.csv" in result.output
    assert "2,000 personas, semilla 3" in result.output
    for name in ("pension_roll.csv", "patients.csv", "units.csv", "truth.csv"):
        assert (tmp_path / "out" / name).is_file()


def test_command_rejects_a_bad_profile(tmp_path: Path) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"patients": {"missing_curp": 2}}))
    result = CliRunner().invoke(
        _app(), ["synth", "--out", str(tmp_path / "out"), "--people", "10", "--profile", str(profile)]
    )
    assert result.exit_code == 2
    assert "missing_curp" in result.output
    assert not (tmp_path / "out").exists()


def test_command_needs_out(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["synth", "--people", "10"])
    assert result.exit_code == 2
