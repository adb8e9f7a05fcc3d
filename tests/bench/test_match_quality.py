"""bench/match helpers that turn a run into figures: review queue, reliability bands, FEBRL files."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "match"))

from quality import pair_kind, reliability, review_queue


def test_pair_kind_orders_sources() -> None:
    assert pair_kind("patients|E1", "roll|R1") == "roll-patients"
    assert pair_kind("roll|R2", "roll|R1") == "roll-roll"
    assert pair_kind("patients|E2", "patients|E1") == "patients-patients"


def test_review_queue_counts_true_pairs_per_source_pair() -> None:
    truth = {"roll|R1": "A", "patients|E1": "A", "patients|E2": "B", "roll|R2": "C"}
    reviews = [
        ("roll|R1", "patients|E1", 0.9, 0.99),  # calibrated score, the model's raw one
        ("patients|E1", "patients|E2", 0.6, 0.95),
        ("roll|R1", "roll|R2", 0.7, 0.9),
    ]
    out = review_queue(reviews, truth, records=4)
    assert out["reviews"] == 3
    assert out["true_pairs"] == 1
    assert out["review_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert out["per_source_pair"]["roll-patients"] == {"reviews": 1, "true": 1, "precision": 1.0}
    assert out["reviews_per_record"] == 0.75


def test_reliability_bands() -> None:
    rows = reliability([(0.55, False), (0.6, True), (0.999, True), (1.0, True), (0.05, False)])
    bands = {r["band"]: r for r in rows}
    assert bands["[0.5, 0.8)"]["pairs"] == 2
    assert bands["[0.5, 0.8)"]["observed_true"] == 0.5
    assert bands["[0.999, 1]"]["pairs"] == 2
    assert bands["[0, 0.1)"]["observed_true"] == 0.0
    assert sum(r["pairs"] for r in rows) == 5


def test_febrl_in_the_csv_contract(tmp_path: Path) -> None:
    from febrl import write_febrl

    summary = write_febrl(4, tmp_path)
    assert summary["records"]["roll"] > 4000
    assert summary["records"]["patients"] > 4000
    with (tmp_path / "pension_roll.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["nombre"] and r["primer_apellido"] for r in rows)
    assert not any(r["curp"] or r["sexo"] or r["entidad"] for r in rows)
    with (tmp_path / "truth.csv").open() as fh:
        truth = list(csv.DictReader(fh))
    assert len(truth) == summary["records"]["roll"] + summary["records"]["patients"]
    people = {t["person_id"] for t in truth}
    assert len(people) < len(truth)  # FEBRL4's A and B hold the same people
