"""The CSV columns of each import kind (DESIGN.md, "CSV imports"). Pure."""

from __future__ import annotations

from dataclasses import dataclass

IDENTITY_FIELDS: tuple[str, ...] = (
    "record_id",
    "curp",
    "nombre",
    "primer_apellido",
    "segundo_apellido",
    "fecha_nacimiento",
    "sexo",
    "entidad",
    "municipio",
    "localidad",
    "domicilio",
    "telefono",
)


@dataclass(frozen=True, slots=True)
class FileSpec:
    """Columns a file of one kind may carry; ``required`` must be in the header. The order of
    ``columns`` is canonical: the row digest is computed over it, whatever the file's column order."""

    kind: str
    columns: tuple[str, ...]
    required: frozenset[str]


SPECS: dict[str, FileSpec] = {
    "roll": FileSpec(
        "roll", (*IDENTITY_FIELDS, "programa"), frozenset({"record_id", "nombre", "primer_apellido"})
    ),
    "patients": FileSpec(
        "patients",
        (*IDENTITY_FIELDS, "clues", "expediente"),
        frozenset({"record_id", "nombre", "primer_apellido", "clues"}),
    ),
    "units": FileSpec(
        "units",
        (
            "clues",
            "nombre",
            "entidad",
            "municipio",
            "localidad",
            "nivel",
            "latitud",
            "longitud",
            "estatus",
            "clues_anterior",
            "cve_mun",
            "cve_loc",
        ),
        frozenset({"clues", "nombre", "entidad", "nivel", "estatus"}),
    ),
}
