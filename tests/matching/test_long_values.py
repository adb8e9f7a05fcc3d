"""Values as long as the import takes (2,000 characters a field) are compared on a bounded prefix:
the levels' edit distances grow with the square of the length, and a fifth of the names at 500
characters made a 3,667-record run take 643 s instead of 34 (bench/match/RESULTS.md, issue 13 session
12). The batch (DuckDB) and the online path (Python) cut alike. Pure."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from interop.matching import batch
from interop.matching.features import address_form, given_parts, surname_parts

# Bounds written out (not the module's constants): the test holds whatever the constants become.
LONGEST_NAME, LONGEST_ADDRESS = 64, 120


def test_long_names_and_addresses_are_compared_on_a_bounded_prefix() -> None:
    given = given_parts("JOSÉ " * 400)
    surname = surname_parts("GARCÍA" * 300)
    address = address_form("Calle de los Insurgentes, " * 70)
    assert given is not None
    assert surname is not None
    assert address is not None
    assert len(given.full) <= LONGEST_NAME
    assert given.full.startswith("JOSE JOSE")
    assert given.full == given.full.strip()
    assert len(surname.key) <= LONGEST_NAME
    assert surname.key.startswith("GARCIAGARCIA")
    assert len(address) <= LONGEST_ADDRESS
    assert address.startswith("CALLE DE LOS INSURGENTES")
    # Real values are untouched.
    assert given_parts("María de los Ángeles Guadalupe del Carmen").full == (  # type: ignore[union-attr]
        "MARIA DE LOS ANGELES GUADALUPE DEL CARMEN"
    )
    assert address_form("Av. Fresnos 5, Col. Centro") == "AV FRESNOS 5 COL CENTRO"


def test_the_batch_cuts_an_address_as_the_online_path_does(tmp_path: Path) -> None:
    raw = "Calle Ñandú 12, interior 4; " * 60
    records = tmp_path / "records.csv"
    with records.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(batch.RECORD_COLUMNS)
        writer.writerow(("roll", "1", "R1", "", "", "f", "", "ROSA", "PEREZ", "", "", "", "", "", "", raw))
    con = duckdb.connect()
    batch.build_features(con, records)
    row = con.execute("SELECT domicilio FROM feats").fetchone()
    assert row is not None
    assert row[0] == address_form(raw)
    assert len(row[0]) <= LONGEST_ADDRESS
