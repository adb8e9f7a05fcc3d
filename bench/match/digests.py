"""Order-free digests of what a batch run stored: persons, key rows, detail rows, links and reviews, so two
runs of different code on one model can be told identical without comparing files.

    PYTHONPATH=<tree>/src python bench/match/digests.py --work /work/data/wall8/m1m

Persons are random uuids, so every row names its person by the person's least record
(``source|record_id``); run ids and timestamps are left out. Each digest is the sum, modulo 2^48, of the
first 48 bits of each row's md5: independent of row order. Prints one JSON line; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from sqlalchemy import text

from interop.config import Settings
from interop.db.runtime import open_database, prepare

_PERSON = (
    "WITH named AS (SELECT person_id, min(source || '|' || record_id) AS name FROM match_record "
    "GROUP BY person_id) "
)
_ROW = "(('x' || substr(md5({row}), 1, 12))::bit(48)::bigint)"
_DIGESTS = {
    "persons": "SELECT count(*), sum({h}) FROM named".replace("{h}", _ROW.format(row="name")),
    "key_rows": (
        "SELECT count(*), sum({h}) FROM match_record m JOIN named n USING (person_id)".replace(
            "{h}",
            _ROW.format(
                row="concat_ws('|', m.source, m.record_id, m.curp16, m.curp16_calc, m.given_main, m.ap1, "
                "m.ap2, m.ph_given, m.ph_ap1, m.ph_ap2, m.dob, m.dob_year, m.dob_md, m.entidad, "
                "m.feature_digest, m.pkey, n.name)"
            ),
        )
    ),
    "detail_rows": "SELECT count(*), sum({h}) FROM match_record_detail d".replace(
        "{h}",
        _ROW.format(
            row="concat_ws('|', d.pkey, d.source, d.record_id, d.record_pk, d.patient_id, d.curp, "
            "d.given_full, d.given_rest, d.sexo, d.municipio, d.localidad, d.domicilio)"
        ),
    ),
    "links": (
        "SELECT count(*), sum({h}) FROM match_link l LEFT JOIN named n USING (person_id)".replace(
            "{h}",
            _ROW.format(
                row="concat_ws('|', l.source, l.record_id, n.name, l.state, l.origin, l.score::text, "
                "l.model_version, l.evidence::text)"
            ),
        )
    ),
    "reviews": "SELECT count(*), sum({h}) FROM match_review r".replace(
        "{h}",
        _ROW.format(
            row="concat_ws('|', r.left_source, r.left_record_id, r.right_source, r.right_record_id, "
            "r.score::text, r.match_weight::text, r.model_version, r.evidence::text, r.status)"
        ),
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args()
    settings = Settings(data_dir=args.work / "data")
    url, server = prepare(settings, as_owner=True)

    async def run() -> dict[str, str]:
        out = {}
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            for name, sql in _DIGESTS.items():
                n, total = (await session.execute(text(_PERSON + sql))).one()
                out[name] = f"{n} {int(total or 0) % 2**48:012x}"
        return out

    try:
        print(json.dumps(asyncio.run(run())))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
