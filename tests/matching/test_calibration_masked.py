"""The calibration's labels *as if neither record had a CURP* (``calibration_labels.settled_labels``) leave
out two roll records whose CURPs keep them apart (``masked_unlike_queue``): the queue never shows such a
pair, and masked it reads as the look-alike pairs it does show. A roll record and a clinic record of the
same two people still give theirs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.matching.factories import insert_record, load_population, make_people
from tests.matching.test_rules import _person, _run

from interop.config import Settings
from interop.matching import calibration_labels, models_store
from interop.matching.calibration_labels import settled_labels, stored_features
from interop.matching.conflict import Signature
from interop.matching.features import MatchFeatures
from interop.matching.scoring import score_pair

# A father and his namesake son one year younger at one address, both pensioners, each under his own
# CURP; the son also at a clinic, with his CURP.
FATHER = _person(9301, "SATURNINO", "TZOMPA", "XOLALPA", date(1946, 8, 9), "0")
SON = _person(9302, "SATURNINO", "TZOMPA", "XOLALPA", date(1947, 8, 9), "0")


async def test_two_pensioners_kept_apart_give_no_label_as_if_without_curps(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await load_population(session, make_people(300))
    await insert_record(session, FATHER, source="roll", record_id="SF1")
    await insert_record(session, SON, source="roll", record_id="SS1")
    await insert_record(session, SON, source="patients", record_id="SS2")
    await session.commit()
    await _run(settings, sessionmaker)
    model = await models_store.active_model(session)
    assert model is not None
    read: list[str] = []

    class Counted(Signature):
        @classmethod
        def of(cls, f: MatchFeatures) -> Signature:
            read.append(f.unique_id)
            return Signature.of(f)

    monkeypatch.setattr(calibration_labels, "Signature", Counted)
    labels = await settled_labels(session, model=model, sample=5000, auto_threshold=0.99)
    # Each labelled pair's two signatures are read once, by the settled-apart rule and the masked
    # labels' roll rule alike (session 14 read them twice).
    pairs = list(zip(read[::2], read[1::2], strict=True))
    assert pairs
    assert len(pairs) == len(set(pairs))
    feats = await stored_features(session, [("roll", "SF1"), ("roll", "SS1"), ("patients", "SS2")])

    def masked_weight(x: tuple[str, str], y: tuple[str, str]) -> float:
        a, b = (replace(feats[k], curp=None, curp16=None) for k in (x, y))
        return score_pair(model.scoring, a, b).match_weight

    def labelled(weight: float) -> list[str]:
        return [lb.stratum for lb in labels if not lb.same and abs(lb.weight - weight) < 1e-9]

    # The son's two records are alike, so both of the father's pairs score alike without CURPs: one
    # label at that weight, the clinic pair's (a pair the queue can show); none for the two pensioners,
    # settled apart in their own stratum.
    weight = masked_weight(("roll", "SF1"), ("patients", "SS2"))
    assert abs(masked_weight(("roll", "SF1"), ("roll", "SS1")) - weight) < 1e-9
    assert labelled(weight) == ["ruled_slip"]
