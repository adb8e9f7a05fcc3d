"""The dashboard's tables and charts from the programme figures. Pure.

Each section is one ``Table`` (what the page shows under its chart and what its CSV download holds — the
same rows, so the two never disagree) and, where a person would rather look than read, an SVG chart of
the same numbers. Words come from the catalogue through ``t``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from interop.referral.stats_schemas import ProgrammeStats, StatusCounts
from interop.web.charts import PALETTE, Series, bar_chart, stacked_bar_chart

Translate = Callable[..., str]
Cell = str | int | float | None
STATUS_ORDER = ("requested", "accepted", "in_progress", "completed", "failed", "cancelled", "rejected")
UNITS_ON_PAGE = 50
TABLE_KEYS = ("entidades", "unidades", "antiguedad", "resultados", "revisiones")


@dataclass
class Table:
    key: str
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    percent_columns: frozenset[int] = frozenset()
    chart: str | None = None
    shown_rows: int | None = None  # the page shows this many (the CSV all)
    notes: list[str] = field(default_factory=list)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.headers)
        for row in self.rows:
            writer.writerow(["" if c is None else _inert(c) for c in row])
        return out.getvalue()


def _inert(cell: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula (a unit's name from an imported catalogue, say
    ``=HYPERLINK(…)``) is written with a leading apostrophe, as OWASP advises for CSV downloads."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _status_headers(t: Translate) -> list[str]:
    return [t("status." + s.replace("_", "-")) for s in STATUS_ORDER[:-1]] + [t("dashboard.rejections")]


def _status_cells(c: StatusCounts) -> list[Cell]:
    return [getattr(c, s) for s in STATUS_ORDER]


def _series(t: Translate) -> list[Series]:
    return [Series(label, PALETTE[i]) for i, label in enumerate(_status_headers(t))]


@dataclass(frozen=True)
class _BucketRow:
    """One row of a table whose counts fall in three time buckets (good, near the limit, past it)."""

    label: str  # the chart's bar label
    leading: list[Cell]
    buckets: tuple[int, int, int]
    trailing: Cell


def _bucket_table(
    *,
    key: str,
    caption: str,
    leading_headers: list[str],
    bucket_labels: list[str],
    trailing_header: str,
    rows: list[_BucketRow],
) -> Table:
    """A table of three time buckets per row with its stacked chart, the buckets in the palette's
    green, amber and red (the ageing of unanswered referrals, the review backlog)."""
    colours = (PALETTE[3], PALETTE[1], PALETTE[2])
    return Table(
        key=key,
        caption=caption,
        headers=[*leading_headers, *bucket_labels, trailing_header],
        rows=[[*row.leading, *row.buckets, row.trailing] for row in rows],
        chart=stacked_bar_chart(
            chart_id=f"chart-{key}",
            title=caption,
            series=[Series(label, colour) for label, colour in zip(bucket_labels, colours, strict=True)],
            rows=[(row.label, list(row.buckets)) for row in rows],
        ),
    )


def tables(stats: ProgrammeStats, t: Translate) -> list[Table]:
    r = stats.referrals
    rate_headers = [t("dashboard.rejection_rate"), t("dashboard.completion_rate")]
    entidades = Table(
        key="entidades",
        caption=t("dashboard.by_entidad"),
        headers=[t("dashboard.entidad"), *_status_headers(t), *rate_headers],
        rows=[
            [e.entidad, *_status_cells(e.counts), e.rejection_rate, e.completion_rate] for e in r.by_entidad
        ],
        percent_columns=frozenset({8, 9}),
        chart=stacked_bar_chart(
            chart_id="chart-entidades",
            title=t("dashboard.by_entidad"),
            series=_series(t),
            rows=[(e.entidad, [float(v or 0) for v in _status_cells(e.counts)]) for e in r.by_entidad],
        ),
    )
    unidades = Table(
        key="unidades",
        caption=t("dashboard.by_unit"),
        headers=["CLUES", t("dashboard.unit"), t("dashboard.entidad"), *_status_headers(t), *rate_headers],
        rows=[
            [u.clues, u.nombre, u.entidad, *_status_cells(u.counts), u.rejection_rate, u.completion_rate]
            for u in r.by_unit
        ],
        percent_columns=frozenset({10, 11}),
        shown_rows=UNITS_ON_PAGE,
    )
    if len(r.by_unit) > UNITS_ON_PAGE:
        unidades.notes.append(t("dashboard.by_unit_more", shown=UNITS_ON_PAGE, total=len(r.by_unit)))
    antiguedad = _bucket_table(
        key="antiguedad",
        caption=t("dashboard.ageing"),
        leading_headers=[t("dashboard.entidad"), t("dashboard.priority"), t("dashboard.escalation")],
        bucket_labels=[t("dashboard.on_time"), t("dashboard.due_soon"), t("dashboard.overdue_short")],
        trailing_header=t("dashboard.oldest"),
        rows=[
            _BucketRow(
                label=f"{a.entidad} · {t('priority.' + a.priority)}",
                leading=[a.entidad, t("priority." + a.priority), a.escalation_hours],
                buckets=(a.on_time, a.due_soon, a.overdue),
                trailing=a.oldest_hours,
            )
            for a in r.ageing
        ],
    )
    resultados = Table(
        key="resultados",
        caption=t("dashboard.outcomes"),
        headers=[t("dashboard.status"), t("dashboard.outcome"), t("dashboard.count")],
        rows=[[t("status." + o.status), t("outcome." + o.code), o.count] for o in r.outcomes],
        chart=bar_chart(
            chart_id="chart-resultados",
            title=t("dashboard.outcomes"),
            bars=[(t("outcome." + o.code), o.count) for o in r.outcomes],
        ),
    )
    revisiones = _bucket_table(
        key="revisiones",
        caption=t("dashboard.backlog"),
        leading_headers=[t("dashboard.entidad"), t("dashboard.backlog_open"), t("dashboard.backlog_visits")],
        bucket_labels=[t("dashboard.under_1_day"), t("dashboard.days_1_to_7"), t("dashboard.over_7_days")],
        trailing_header=t("dashboard.oldest_days"),
        rows=[
            _BucketRow(
                label=b.entidad or t("dashboard.unknown"),
                leading=[b.entidad or t("dashboard.unknown"), b.open, b.from_visits],
                buckets=(b.under_1_day, b.days_1_to_7, b.over_7_days),
                trailing=b.oldest_days,
            )
            for b in stats.review_backlog
        ],
    )
    return [entidades, unidades, antiguedad, resultados, revisiones]


def summary(stats: ProgrammeStats) -> dict[str, int | float | None]:
    r = stats.referrals
    return {
        "held": r.totals.total - r.totals.rejected,
        "pending": r.totals.pending,
        "overdue": sum(a.overdue for a in r.ageing),
        "rejection_rate": r.rejection_rate,
        "completion_rate": r.completion_rate,
    }


def shown(value: Cell, percent: bool) -> str:
    """A cell as the page prints it (es-MX: comma thousands, point decimals; rates as percentages)."""
    if value is None:
        return "—"
    if percent and isinstance(value, int | float):
        return f"{value * 100:.1f} %"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return value


def by_key(all_tables: Sequence[Table], key: str) -> Table | None:
    return next((tb for tb in all_tables if tb.key == key), None)
