"""The side-by-side layout of a review (pure)."""

from __future__ import annotations

from interop.matching.schemas import FieldEvidenceRead
from interop.web import review_view


def test_each_field_once_in_a_stable_order_with_its_agreement() -> None:
    left = {"nombre": "María José", "curp": None, "sexo": "M", "extra": "x"}
    right = {"nombre": "MARIA  JOSE", "curp": "PELR500314MDFRPS09", "sexo": "H", "extra": "x"}
    rows = review_view.field_rows(left, right)
    assert [r.field for r in rows] == ["curp", "nombre", "sexo", "extra"]
    assert {r.field: r.agreement for r in rows} == {
        "curp": "missing",
        "nombre": "same",  # accents, case and spacing are not a difference to the eye
        "sexo": "differs",
        "extra": "same",
    }


def test_evidence_strongest_first_with_bars_relative_to_the_strongest() -> None:
    rows = review_view.evidence_rows(
        [
            FieldEvidenceRead(comparison="sex", level="exact", weight=0.5),
            FieldEvidenceRead(comparison="birth_date", level="else", weight=-8.0),
            FieldEvidenceRead(comparison="given", level="all exact", weight=4.0),
        ]
    )
    assert [r.comparison for r in rows] == ["birth_date", "given", "sex"]
    assert [r.width for r in rows] == [100, 50, 6]
    assert rows[0].fields == ("fecha_nacimiento",)
    assert review_view.probability_of(0.0) == 0.5
