"""The case file's PDF names each record's source in the reader's language (it printed roll:R-1)."""

from __future__ import annotations

import re
import zlib

from interop.audit.case_proof import CaseProof
from interop.matching.cases import CaseIdentity
from interop.web import case_export
from interop.web.case_file import Case


def _text(pdf: bytes) -> bytes:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    out = b""
    for raw in streams:
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


def test_the_pdf_names_the_records_sources_in_the_readers_language() -> None:
    case = Case(
        kind="curp",
        visits=[],
        identity=CaseIdentity(records=[("roll", "R-1"), ("registry", "P-9")]),
        patient_ids=[],
        timeline=[],
        proof=CaseProof(status="unsigned"),
        truncated=False,
    )
    spanish = _text(case_export.pdf(case, generated_by="auditora"))
    assert "Padrón R-1".encode("latin-1") in spanish
    assert "Registro clínico P-9".encode("latin-1") in spanish
    assert b"roll" not in spanish
    english = _text(case_export.pdf(case, generated_by="auditora", language="en"))
    assert b"Pension roll R-1" in english
