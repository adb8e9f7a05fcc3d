"""A referral's need: what is asked plus the CIE-10 category of its reason. Pure.

One open referral per person and need (issue 16): a repeat visit with the same need adds to the open
referral instead of opening another. The category is the first three characters of the first reason's
CIE-10 code without the dot (``E11.9`` → ``E11``); a visit without a coded reason has no category, and
its need is what is asked alone. What is asked is ``care.care_of``: the visit's ``care_requested`` when
given, else the default rule from its urgency and functional status (issue 17).
"""

from __future__ import annotations

from dataclasses import dataclass

from interop.referral.care import FIRST_LEVEL, care_of
from interop.referral.schemas import VisitCreate

DEFAULT_CARE = FIRST_LEVEL


@dataclass(frozen=True, slots=True)
class Need:
    care_requested: str
    reason_category: str | None


def category_of(code: str) -> str:
    return code.replace(".", "").strip().upper()[:3]


def need_of(visit: VisitCreate) -> Need:
    # The first CIE-10 coded reason (a SNOMED-only or text-only finding has no category).
    coded = [c.code for c in visit.findings.conditions if c.code]
    category = category_of(coded[0]) if coded else None
    return Need(care_requested=care_of(visit), reason_category=category)
