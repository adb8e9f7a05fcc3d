"""The demo's summary, read back from the database and the API after the scenario: what the service
actually stored, not what the demo meant to happen. Its words are the catalogue's ``demo.summary.*``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from interop import messages
from interop.demo.scenario import Outcome

_PERSONS = """
SELECT count(*) AS persons, count(*) FILTER (WHERE sources = 2) AS linked
FROM (SELECT person_id, count(DISTINCT source) AS sources FROM match_record
      WHERE person_id IS NOT NULL GROUP BY person_id) p
"""
_UNITS = """
SELECT t.owner_clues, count(*) AS referrals,
       count(*) FILTER (WHERE t.status = 'requested') AS requested,
       count(*) FILTER (WHERE t.status = 'completed') AS completed
FROM referral_task t
WHERE NOT EXISTS (SELECT 1 FROM referral_task n WHERE n.previous_task_id = t.id)
GROUP BY t.owner_clues ORDER BY count(*) DESC, t.owner_clues
"""


_UNITS_SHOWN = 8


@dataclass
class Summary:
    persons: int = 0
    linked: int = 0
    reviews_open: int = 0
    visits_stored: int = 0
    referrals: int = 0
    provisional: int = 0
    per_unit: list[tuple[str, int, int, int]] = field(default_factory=list)
    case_visit: str | None = None
    case_unit: str | None = None
    case_statuses: list[str] = field(default_factory=list)
    case_trace: str | None = None
    case_events: int = 0
    case_event_kinds: list[str] = field(default_factory=list)
    audit_ok: bool = False
    audit_events: int = 0
    audit_heads: int = 0
    unplaceable: list[str] = field(default_factory=list)


async def read_database(database_url: str, summary: Summary) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        row = await conn.fetchrow(_PERSONS)
        assert row is not None  # an aggregate always answers one row
        summary.persons, summary.linked = int(row["persons"]), int(row["linked"])
        summary.reviews_open = int(
            await conn.fetchval("SELECT count(*) FROM match_review WHERE status = 'open'")
        )
        summary.visits_stored = int(await conn.fetchval("SELECT count(*) FROM referral_visit"))
        summary.referrals = int(await conn.fetchval("SELECT count(*) FROM referral"))
        summary.provisional = int(
            await conn.fetchval("SELECT count(*) FROM referral WHERE patient_provisional")
        )
        summary.per_unit = [
            (r["owner_clues"], int(r["referrals"]), int(r["requested"]), int(r["completed"]))
            for r in await conn.fetch(_UNITS)
        ]
    finally:
        await conn.close()


def read_api(auditor: httpx.Client, bienestar: httpx.Client, out: Outcome, summary: Summary) -> None:
    if out.case is not None:
        case = out.case
        followed = bienestar.get(f"/v1/visits/{case.visit_id}").raise_for_status().json()
        summary.case_visit = case.visit_id
        summary.case_unit = followed["unit"]["clues"]
        # The states it went through: a repeat visit adds a version of the Task in the same state (the
        # unit is told of the new findings), which is not a step of its own.
        statuses = [step["status"] for step in followed["history"]]
        summary.case_statuses = [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]]
        trace = auditor.get(f"/v1/trace/{case.trace_id}").raise_for_status().json()
        summary.case_trace = case.trace_id
        summary.case_events = len(trace["events"])
        summary.case_event_kinds = list(dict.fromkeys(f"{e['subtype']}" for e in trace["events"]))
    for sent in out.visits:
        if sent.kind == "unplaceable":
            reason = (sent.body.get("error") or {}).get("message") or (sent.body.get("routing") or {}).get(
                "reason"
            )
            reason = reason or messages.text("demo.summary.no_reason")
            summary.unplaceable.append(f"{sent.visit_id}: HTTP {sent.status_code} — {reason}")
    verification = auditor.get("/v1/audit/verification").raise_for_status().json()
    summary.audit_ok = bool(verification["ok"])
    # The events of the old hash chain, then the Merkle tree's leaves: a new install has only leaves.
    summary.audit_events = int(verification["events_checked"]) + int(verification["leaves_checked"])
    summary.audit_heads = int(verification["heads_checked"])


def lines(summary: Summary, outcome: Outcome) -> list[str]:
    """The printed summary: one fact per line, ``label: value`` (tests read them back)."""
    run: dict[str, Any] = outcome.match_run
    out = [
        "",
        messages.text("demo.summary.title"),
        messages.text("demo.summary.persons", n=summary.persons),
        messages.text("demo.summary.linked", n=summary.linked),
        messages.text("demo.summary.reviews_open", n=summary.reviews_open),
        messages.text("demo.summary.match_run", id=run.get("id"), model=run.get("model_version")),
        messages.text("demo.summary.visits", stored=summary.visits_stored, sent=len(outcome.visits)),
        messages.text("demo.summary.referrals", n=summary.referrals, provisional=summary.provisional),
        messages.text("demo.summary.per_unit"),
    ]
    out += [
        f"    {clues}: {n}, {requested}, {completed}" for clues, n, requested, completed in summary.per_unit
    ]
    out += [messages.text("demo.summary.unplaceable", text=text) for text in summary.unplaceable]
    if summary.case_visit:
        out += [
            messages.text("demo.summary.case", visit=summary.case_visit, unit=summary.case_unit),
            messages.text("demo.summary.task_states", states=" → ".join(summary.case_statuses)),
            messages.text(
                "demo.summary.case_events",
                n=summary.case_events,
                kinds=", ".join(summary.case_event_kinds),
                trace=summary.case_trace,
            ),
        ]
    verdict = messages.text("demo.summary.audit_intact" if summary.audit_ok else "demo.summary.audit_altered")
    out.append(
        messages.text(
            "demo.summary.audit", verdict=verdict, n=summary.audit_events, heads=summary.audit_heads
        )
    )
    return out
