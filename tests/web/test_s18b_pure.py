"""Pure parts of the unit and programme pages: SVG charts, the outcome wiring, the referral sheet PDF and
the dashboard tables / CSV."""

from __future__ import annotations

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from interop.matching.schemas import ReviewBacklogRow
from interop.referral import service as referral_service
from interop.referral.stats_schemas import (
    AgeingRow,
    EntidadStats,
    OutcomeCount,
    ProgrammeStats,
    ReferralStats,
    StatusCounts,
    UnitStats,
)
from interop.web import outcomes
from interop.web.charts import Series, bar_chart, stacked_bar_chart
from interop.web.dashboard_tables import shown, tables
from interop.web.sheet_pdf import latin1, render_sheet

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_is_labelled_and_describes_every_value() -> None:
    svg = bar_chart(chart_id="c1", title="Resultados <x>", bars=[("Atendido", 12), ("No acudió", 3)])
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG output
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-t c1-d"
    assert root.find(f"{SVG}title").text == "Resultados <x>"
    assert root.find(f"{SVG}desc").text == "Atendido: 12; No acudió: 3"
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths == [300.0, 75.0]  # the longest bar fills the width, the other in proportion


def test_stacked_chart_splits_each_row_and_writes_its_total() -> None:
    series = [Series("A", "#000"), Series("B", "#111")]
    svg = stacked_bar_chart(chart_id="c2", title="t", series=series, rows=[("DF", [3, 1]), ("OC", [0, 2])])
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG output
    assert root.find(f"{SVG}desc").text == "DF: A 3, B 1; OC: A 0, B 2"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "4" in texts
    assert "2" in texts
    no_rows = stacked_bar_chart(chart_id="c3", title="t", series=series, rows=[])
    empty = ET.fromstring(no_rows)  # noqa: S314 - our own SVG output
    assert empty.find(f"{SVG}desc").text == "sin datos"


def test_outcome_wiring_passes_through_in_progress_and_fails_only_when_the_person_was_not_seen() -> None:
    before, ending = outcomes.complete("accepted", "no-acudio", "se buscó dos veces")
    assert [c.status for c in before] == ["in-progress"]
    assert ending == outcomes.Completion(status="failed", outcome="no-acudio", note="se buscó dos veces")
    before, ending = outcomes.complete("in-progress", "atendido-domicilio", None)
    assert (before, ending.status) == ([], "completed")
    assert set(outcomes.OUTCOMES) == {
        "atendido",
        "atendido-domicilio",
        "no-acudio",
        "no-localizado",
        "fallecio",
        "cambio-domicilio",
        "referido-otra-unidad",
    }
    with pytest.raises(outcomes.UnknownChoice):
        outcomes.complete("accepted", "inventado", None)
    with pytest.raises(outcomes.UnknownChoice):
        outcomes.reject("cualquiera", None)
    (rejection,) = outcomes.reject("otro-nivel", "requiere cirugía")
    assert rejection.status_reason == {"text": "Requiere otro nivel de atención: requiere cirugía"}


def _sheet() -> referral_service.ReferralSheet:
    return referral_service.ReferralSheet(
        task_id=uuid.uuid4(),
        task_version=1,
        referral_id=uuid.uuid4(),
        status="requested",
        priority="urgent",
        owner_clues="OCIMB000001",
        owner_name="Centro de Salud Santa María — Zongolica",
        authored_on=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        visit_id="V-1",
        visit_date=date(2026, 12, 1),
        health_worker_id="PROM-1",
        requester_client_id="bienestar",
        patient={"nombre": "JOSEFINA", "primer_apellido": "MUÑOZ", "curp": None, "provisional": True},
        found_at={"domicilio": "Calle 5", "localidad": "Tlaquilpa", "latitud": 18.7, "longitud": -97.0},
        conditions=[{"code": "E11.9", "display": "Diabetes mellitus tipo 2"}],
        observations=[
            {
                "code": "85354-9",
                "display": "Presión arterial",
                "components": [
                    {"code": "8480-6", "value": 150, "unit": "mm[Hg]"},
                    {"code": "8462-4", "value": 95, "unit": "mm[Hg]"},
                ],
            }
        ],
        note="Refiere mareo ʼ",
        home_bound=True,
        routing_reason="nearest",
        distance_km=3.2,
        status_reason=None,
        outcome=None,
    )


def test_referral_sheet_is_a_pdf_and_survives_characters_outside_latin1() -> None:
    pdf = render_sheet(_sheet(), lambda key, **kw: key)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) < 20_000  # one light page for a slow link
    assert latin1("Santa María — Zongolica ʼ ŝ") == "Santa María - Zongolica ' s"
    assert referral_service.observation_label(_sheet().observations[0]) == "Presión arterial: 150 / 95 mm[Hg]"


def _stats() -> ProgrammeStats:
    counts = StatusCounts(requested=2, completed=1, rejected=1)
    return ProgrammeStats(
        referrals=ReferralStats(
            entidades=["OC"],
            generated_at=datetime(2026, 12, 6, tzinfo=UTC),
            escalation_hours={"routine": 168.0},
            totals=counts,
            rejection_rate=0.25,
            completion_rate=0.3333,
            by_entidad=[
                EntidadStats(entidad="OC", counts=counts, rejection_rate=0.25, completion_rate=0.3333)
            ],
            by_unit=[
                UnitStats(
                    clues="OCIMB000001",
                    entidad="OC",
                    nombre='Unidad, "una"',
                    counts=counts,
                    rejection_rate=0.25,
                    completion_rate=0.3333,
                )
            ],
            ageing=[
                AgeingRow(
                    entidad="OC",
                    priority="routine",
                    escalation_hours=168.0,
                    on_time=1,
                    due_soon=0,
                    overdue=1,
                    oldest_hours=200.0,
                )
            ],
            outcomes=[OutcomeCount(status="completed", code="atendido", count=1)],
        ),
        review_backlog=[
            ReviewBacklogRow(
                entidad=None,
                open=4,
                from_visits=1,
                under_1_day=4,
                days_1_to_7=0,
                over_7_days=0,
                oldest_days=0.5,
            )
        ],
    )


def test_each_table_and_its_csv_hold_the_same_rows() -> None:
    all_tables = {tb.key: tb for tb in tables(_stats(), lambda key, **kw: key)}
    assert list(all_tables) == ["entidades", "unidades", "antiguedad", "resultados", "revisiones"]
    unidades = all_tables["unidades"]
    rows = list(csv.reader(io.StringIO(unidades.csv())))
    assert rows[0] == unidades.headers
    assert rows[1] == [
        "OCIMB000001",
        'Unidad, "una"',
        "OC",
        "2",
        "0",
        "0",
        "1",
        "0",
        "0",
        "1",
        "0.25",
        "0.3333",
    ]
    assert all_tables["revisiones"].rows[0][0] == "dashboard.unknown"
    assert all_tables["entidades"].chart
    assert "<desc" in all_tables["entidades"].chart
    assert shown(0.3333, True) == "33.3 %"
    assert shown(12345, False) == "12,345"
    assert re.fullmatch(r"—", shown(None, False))
