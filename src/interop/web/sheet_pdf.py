"""The printable referral sheet (*hoja de referencia*) as PDF, for units that work on paper. Pure: a
``ReferralSheet`` and the words in, PDF bytes out (fpdf2, no files, no network).

One letter page for an ordinary referral: the unit, what is asked and how urgently, the person, where the
health worker found them, the findings, who sent it, and blank lines for the unit's answer. The PDF core
fonts cover Latin-1 (Spanish letters included); other characters are replaced by their closest ASCII form
or ``?`` so a name never breaks the sheet.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from fpdf import FPDF

from interop.referral import service as referral_service

Translate = Callable[..., str]

_PUNCTUATION = str.maketrans(
    {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "ʼ": "'"}
)


def latin1(text: Any) -> str:
    """Text the core fonts can print: Latin-1 kept, accents of other letters dropped, the rest ``?``."""
    out = []
    for ch in str(text).translate(_PUNCTUATION):
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(base or "?")
    return "".join(out)


class _Sheet(FPDF):
    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("Helvetica", "B", 11)
        self.set_fill_color(230, 230, 230)
        self.cell(0, 7, latin1(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 10)

    def field(self, label: str, value: Any) -> None:
        shown = "-" if value in (None, "", []) else value
        self.set_font("Helvetica", "B", 10)
        self.cell(48, 6, latin1(label))
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, 6, latin1(shown), new_x="LMARGIN", new_y="NEXT")


def _person_name(p: dict[str, Any]) -> str:
    return " ".join(str(p[k]) for k in ("nombre", "primer_apellido", "segundo_apellido") if p.get(k))


def render_sheet(sheet: referral_service.ReferralSheet, t: Translate) -> bytes:
    pdf = _Sheet(format="letter")
    pdf.set_title(latin1(t("sheet.title")))
    pdf.set_author("interop")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, latin1(t("sheet.title")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, latin1(t("sheet.subtitle")), new_x="LMARGIN", new_y="NEXT")

    pdf.heading(t("sheet.section.request"))
    pdf.field(t("sheet.unit"), f"{sheet.owner_name or ''} (CLUES {sheet.owner_clues})")
    pdf.field(t("sheet.priority"), t(f"priority.{sheet.priority}"))
    pdf.field(t("sheet.status"), t(f"status.{sheet.status}"))
    pdf.field(t("sheet.received"), sheet.authored_on.strftime("%Y-%m-%d %H:%M UTC"))
    pdf.field(t("sheet.asked"), t("sheet.asked_value"))
    pdf.field(t("sheet.referral_id"), str(sheet.referral_id))

    p = sheet.patient
    pdf.heading(t("sheet.section.person"))
    pdf.field(t("sheet.name"), _person_name(p))
    pdf.field("CURP", p.get("curp"))
    pdf.field(t("sheet.birth_date"), p.get("fecha_nacimiento"))
    pdf.field(t("sheet.sex"), p.get("sexo"))
    pdf.field(t("sheet.expediente"), p.get("expediente"))
    if p.get("provisional"):
        pdf.field(t("sheet.identity"), t("sheet.identity_provisional"))

    f = sheet.found_at
    pdf.heading(t("sheet.section.found"))
    pdf.field(t("sheet.address"), f.get("domicilio"))
    place = ", ".join(str(f[k]) for k in ("localidad", "municipio", "entidad") if f.get(k))
    pdf.field(t("sheet.place"), place)
    pdf.field(t("sheet.phone"), f.get("telefono"))
    if f.get("latitud") is not None and f.get("longitud") is not None:
        pdf.field(t("sheet.coordinates"), f"{f['latitud']:.5f}, {f['longitud']:.5f}")
    pdf.field(t("sheet.home_bound"), t("yes") if sheet.home_bound else t("no"))

    pdf.heading(t("sheet.section.findings"))
    for c in sheet.conditions:
        pdf.field(t("sheet.condition"), f"{c.get('code')} {c.get('display') or ''}".strip())
    for o in sheet.observations:
        pdf.field(t("sheet.observation"), referral_service.observation_label(o))
    if sheet.note:
        pdf.field(t("sheet.note"), sheet.note)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, latin1(t("sheet.suspicion")), new_x="LMARGIN", new_y="NEXT")

    pdf.heading(t("sheet.section.sender"))
    pdf.field(t("sheet.visit"), f"{sheet.visit_id} ({sheet.visit_date})")
    pdf.field(t("sheet.health_worker"), sheet.health_worker_id)
    pdf.field(t("sheet.routing"), sheet.routing_reason)

    pdf.heading(t("sheet.section.answer"))
    for label in ("sheet.answer.outcome", "sheet.answer.date", "sheet.answer.who"):
        pdf.field(t(label), "_" * 60)
    return bytes(pdf.output())
