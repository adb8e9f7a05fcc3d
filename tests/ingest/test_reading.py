"""File checks that refuse a whole file before anything is stored, and the record reader. Pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from interop.ingest.errors import FileRefused
from interop.ingest.reading import MAX_RECORD_CHARS, inspect_file, records

from .factories import ROLL_HEADER, csv_text, roll_row, write


def test_latin1_file_is_refused_naming_the_encoding(tmp_path: Path) -> None:
    text = csv_text(ROLL_HEADER, [roll_row("R1", nombre="JOSÉ MARÍA", primer_apellido="NÚÑEZ")] * 3)
    path = write(tmp_path, "roll.csv", text.encode("cp1252"))
    with pytest.raises(FileRefused) as refused:
        inspect_file(path, kind="roll", fmt="csv", encoding=None)
    assert "no está en utf-8" in refused.value.message
    assert refused.value.details["detected_encoding"] in ("cp1252", "latin_1", "iso8859_1")
    assert "--encoding" in refused.value.message


def test_latin1_file_is_accepted_when_conversion_is_asked(tmp_path: Path) -> None:
    text = csv_text(ROLL_HEADER, [roll_row("R1", nombre="JOSÉ")])
    path = write(tmp_path, "roll.csv", text.encode("cp1252"))
    inspection = inspect_file(path, kind="roll", fmt="csv", encoding="cp1252")
    assert inspection.encoding == "cp1252"
    assert inspection.header == ROLL_HEADER


def test_late_bad_byte_is_found_before_anything_is_read(tmp_path: Path) -> None:
    good = csv_text(ROLL_HEADER, [roll_row(f"R{i}") for i in range(20_000)]).encode()
    path = write(tmp_path, "roll.csv", good + "R99,,PEÑA,PEREZ,,,,,,,,,\n".encode("latin-1"))
    with pytest.raises(FileRefused) as refused:
        inspect_file(path, kind="roll", fmt="csv", encoding=None)
    assert refused.value.details["offset"] > len(good) - 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "el archivo está vacío"),
        (b"\n\n", "el archivo está vacío"),
        (b",,\nR1,A,B\n", "la línea de encabezado está vacía"),
        (b"record_id,nombre,primer_apellido\n", "no tiene filas de datos"),
        (b"record_id,nombre\nR1,ANA\n", "faltan columnas obligatorias: primer_apellido"),
        (b"record_id,nombre,primer_apellido,color\nR1,A,B,rojo\n", "columnas desconocidas: color"),
        (b"record_id,nombre,nombre,primer_apellido\nR1,A,A,B\n", "repetidas en el encabezado"),
    ],
)
def test_refused_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path, "roll.csv", content)
    with pytest.raises(FileRefused) as refused:
        inspect_file(path, kind="roll", fmt="csv", encoding=None)
    assert message in refused.value.message


def test_header_is_case_and_bom_tolerant(tmp_path: Path) -> None:
    path = write(tmp_path, "roll.csv", "\ufeffRECORD_ID, Nombre ,primer_apellido\nR1,A,B\n")
    assert inspect_file(path, kind="roll", fmt="csv", encoding=None).header == (
        "record_id",
        "nombre",
        "primer_apellido",
    )


def test_records_keep_line_numbers_across_quoted_newlines(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", 'a,b\n1,"two\nlines"\n\n3,"x ""y"""\n4,z')
    got = [(r.line, r.text.rstrip("\n")) for r in records(path, "utf-8")]
    assert got == [(1, "a,b"), (2, '1,"two\nlines"'), (4, ""), (5, '3,"x ""y"""'), (6, "4,z")]


def test_huge_field_is_cut_to_one_too_long_record_in_bounded_memory(tmp_path: Path) -> None:
    huge = "A" * (MAX_RECORD_CHARS * 40)
    path = write(tmp_path, "x.csv", f'a,b\n1,"{huge}\nstill inside"\n2,ok\n')
    got = list(records(path, "utf-8"))
    assert [(r.line, r.too_long) for r in got] == [(1, False), (2, True), (4, False)]
    assert got[1].text == ""
    assert got[2].text == "2,ok\n"
