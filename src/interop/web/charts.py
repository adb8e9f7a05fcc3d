"""Server-side SVG charts for the dashboard. Pure: figures in, SVG text out.

Accessible by construction: ``role="img"`` labelled by its ``<title>`` and described by its ``<desc>``
(which states every value, so a screen reader gets the chart's content), values written beside the bars
(colour never carries meaning alone), a colour-blind-safe palette (Okabe–Ito), and each chart sits beside a
table of the same numbers on the page. No script, no fonts to load; a few hundred bytes per chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Okabe–Ito: distinguishable with the common colour-vision deficiencies; dark enough on white for bars.
PALETTE = ("#0072B2", "#E69F00", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#000000")

_ROW_H = 22
_LABEL_W = 175
_BAR_W = 300
_VALUE_W = 60


@dataclass(frozen=True)
class Series:
    label: str
    colour: str


def _svg_open(chart_id: str, title: str, desc: str, height: int) -> str:
    width = _LABEL_W + _BAR_W + _VALUE_W
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
    )


def _label(y: int, text: str) -> str:
    shown = text if len(text) <= 26 else text[:25] + "…"
    return (
        f'<text x="{_LABEL_W - 6}" y="{y + _ROW_H / 2 + 4:.0f}" text-anchor="end" font-size="12" '
        f'fill="#1a1a1a">{escape(shown)}</text>'
    )


def bar_chart(
    *, chart_id: str, title: str, bars: Sequence[tuple[str, float]], value_format: str = "{:,.0f}"
) -> str:
    """Horizontal bars, one per (label, value), longest scaled to the full width."""
    desc = "; ".join(f"{label}: {value_format.format(value)}" for label, value in bars) or "sin datos"
    height = max(1, len(bars)) * _ROW_H + 4
    top = max((v for _, v in bars), default=0) or 1
    parts = [_svg_open(chart_id, title, desc, height)]
    for i, (label, value) in enumerate(bars):
        y = i * _ROW_H + 2
        w = _BAR_W * value / top
        parts.append(_label(y, label))
        parts.append(
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 6}" fill="{PALETTE[0]}"/>'
        )
        parts.append(
            f'<text x="{_LABEL_W + w + 4:.1f}" y="{y + _ROW_H / 2 + 4:.0f}" font-size="12" '
            f'fill="#1a1a1a">{escape(value_format.format(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(
    *, chart_id: str, title: str, series: Sequence[Series], rows: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """One horizontal bar per row, split into the series (in order); the row's total written after it and a
    legend of the series on top."""
    desc_rows = []
    for label, values in rows:
        inner = ", ".join(f"{s.label} {v:,.0f}" for s, v in zip(series, values, strict=True))
        desc_rows.append(f"{label}: {inner}")
    desc = "; ".join(desc_rows) or "sin datos"
    width = _LABEL_W + _BAR_W + _VALUE_W
    # The legend wraps onto as many lines as it needs (seven statuses do not fit on one at this width).
    legend: list[tuple[float, int, Series]] = []
    x, line = 0.0, 0
    for s in series:
        item_w = 24 + 7 * len(s.label)
        if x > 0 and x + item_w > width:
            x, line = 0.0, line + 1
        legend.append((x, line, s))
        x += item_w
    legend_h = (line + 1) * _ROW_H
    height = legend_h + max(1, len(rows)) * _ROW_H + 4
    top = max((sum(v) for _, v in rows), default=0) or 1
    parts = [_svg_open(chart_id, title, desc, height)]
    for lx, ln, s in legend:
        y = ln * _ROW_H
        parts.append(f'<rect x="{lx:.0f}" y="{y + 5}" width="12" height="12" fill="{s.colour}"/>')
        parts.append(
            f'<text x="{lx + 16:.0f}" y="{y + 15}" font-size="12" fill="#1a1a1a">{escape(s.label)}</text>'
        )
    for i, (label, values) in enumerate(rows):
        y = legend_h + i * _ROW_H + 2
        parts.append(_label(y, label))
        x = float(_LABEL_W)
        for s, v in zip(series, values, strict=True):
            w = _BAR_W * v / top
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{_ROW_H - 6}" fill="{s.colour}"/>'
                )
            x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + _ROW_H / 2 + 4:.0f}" font-size="12" '
            f'fill="#1a1a1a">{sum(values):,.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
