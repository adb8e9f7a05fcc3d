"""A referral's need: what is asked plus the CIE-10 category of its reason. Pure.

One open referral per person and need (issue 16): a repeat visit with the same need adds to the open
referral instead of opening another. The category is the first three characters of the first reason's
CIE-10 code without the dot (``E11.9`` → ``E11``); a visit without a coded reason has no category, and
its need is what is asked alone. What is asked is the visit's ``care_requested`` when given, else
``DEFAULT_CARE`` (the clinical-content work supplies a rule from the findings; it replaces ``care_of``).
"""

from __future__ import annotations

from dataclasses import dataclass

from interop.referral.schemas import VisitCreate

DEFAULT_CARE = "consulta-primer-nivel"


@dataclass(frozen=True, slots=True)
class Need:
    care_requested: str
    reason_category: str | None


def care_of(visit: VisitCreate) -> str:
    return visit.care_requested or DEFAULT_CARE


def category_of(code: str) -> str:
    return code.replace(".", "").strip().upper()[:3]


def need_of(visit: VisitCreate) -> Need:
    conditions = visit.findings.conditions
    category = category_of(conditions[0].code) if conditions else None
    return Need(care_requested=care_of(visit), reason_category=category)
