"""A case as files an auditor can keep: NDJSON (one JSON object a line: the case, its events each with
its inclusion proof, the signed tree head and the public keys that check them) and a PDF with the same
timeline and the checkpoint. Identifiers only: the search key (a CURP, perhaps) is not written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fpdf import FPDF

from interop.web import evidence_words
from interop.web.case_file import Case
from interop.web.case_words import word


def _case_header(case: Case, generated_by: str) -> dict[str, Any]:
    return {
        "kind": "case",
        "search": case.kind,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generated_by": generated_by,
        "visits": [
            {
                "visit_id": v.visit_id,
                "visit_date": v.visit_date,
                "trace_id": v.trace_id,
                "referral_id": str(v.referral_id) if v.referral_id else None,
                "referral_status": v.referral_status,
                "performer_clues": v.performer_clues,
                "patient_id": str(v.patient_id) if v.patient_id else None,
                "tasks": [{"id": str(t), "status": s, "owner_clues": c} for t, s, c in v.tasks],
            }
            for v in case.visits
        ],
        "records": [{"source": s, "record_id": r} for s, r in case.identity.records],
        "persons": [str(p) for p in case.identity.person_ids],
        "patients": case.patient_ids,
        "match_reviews": case.identity.review_ids,
        "verification": {
            "status": case.proof.status,
            "pending": case.proof.pending,
            "failed": [{"seq": s, "reason": r} for s, r in case.proof.failed],
        },
    }


def ndjson(case: Case, *, generated_by: str) -> bytes:
    lines = [_case_header(case, generated_by)]
    for entry in case.timeline:
        event = entry.event.model_dump(mode="json")
        lines.append({"kind": "event", **event, "inclusion": case.proof.proven.get(entry.event.seq)})
    if case.proof.head is not None:
        lines.append(
            {"kind": "checkpoint", **case.proof.head, "keys": (case.proof.keys or {}).get("keys", [])}
        )
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def _latin(text: str) -> str:
    """The PDF's core font (Helvetica) covers Latin-1: Spanish fits; anything else becomes '?'."""
    return text.replace("—", "-").replace("≥", ">=").encode("latin-1", "replace").decode("latin-1")


def pdf(case: Case, *, generated_by: str, language: str = "es-MX") -> bytes:
    def w(key: str, **values: object) -> str:
        return _latin(word(language, f"casefile.{key}", key, **values))

    def items(values: list[str]) -> str:
        return ", ".join(values) or word(language, "casefile.pdf.none", "-")

    doc = FPDF(orientation="L", format="A4")
    doc.set_title(w("pdf.title"))
    doc.set_author("interop")
    doc.set_auto_page_break(auto=True, margin=12)
    doc.add_page()
    doc.set_font("Helvetica", "B", 15)
    doc.cell(0, 9, w("pdf.heading"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=9)
    header = _case_header(case, generated_by)
    status = word(language, f"casefile.status.{case.proof.status}", case.proof.status)
    records = [f"{evidence_words.name_of('source', s, language)} {r}" for s, r in case.identity.records]
    lines = [
        w("pdf.generated", at=header["generated_at"], by=generated_by, kind=case.kind),
        w("pdf.visits", items=items([v.visit_id for v in case.visits])),
        w("pdf.referrals", items=items([str(v.referral_id) for v in case.visits if v.referral_id])),
        w("pdf.records", items=items(records)),
        w("pdf.reviews", items=items([str(i) for i in case.identity.review_ids])),
        w("pdf.verification", status=status),
    ]
    for line in lines:
        doc.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    if case.proof.head is not None:
        doc.ln(2)
        doc.set_font("Helvetica", "B", 10)
        doc.cell(0, 6, w("pdf.checkpoint"), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("Courier", size=8)
        doc.multi_cell(0, 4, _latin(case.proof.head["checkpoint"]), new_x="LMARGIN", new_y="NEXT")
        signature = w("pdf.signature", kid=case.proof.head["kid"], signature=case.proof.head["signature"])
        doc.multi_cell(0, 4, signature, new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
    doc.set_font("Helvetica", "B", 10)
    doc.cell(0, 6, w("pdf.timeline", count=len(case.timeline)), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", size=7.5)
    widths = (14, 36, 26, 52, 44, 93, 12)
    with doc.table(col_widths=widths, text_align="LEFT", line_height=3.8) as table:
        head = table.row()
        for title in ("seq", "when", "institution", "who", "what", "resources", "proof"):
            head.cell(w(f"pdf.col.{title}"))
        for entry in case.timeline:
            row = table.row()
            e = entry.event
            proven = (
                "yes" if e.seq in case.proof.proven else "pending" if e.seq in case.proof.pending else "no"
            )
            for value in (
                str(e.seq),
                e.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                entry.institution,
                entry.who,
                entry.what,
                entry.resources,
                word(language, f"casefile.pdf.proven.{proven}", proven),
            ):
                row.cell(_latin(value))
    return bytes(doc.output())
