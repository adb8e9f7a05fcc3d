"""The referral domain's voice: other packages and the routes reach it through this module only.

Visits are posted in ``visits`` (claim → match → place → persist → respond); reads and searches live in
``queries``, Task updates in ``workflow``, withdrawals, outcomes and escalations in ``lifecycle``, and the
operators' lists (waiting to be routed, escalated) in ``routing_queue``; all are re-exported here.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interop.referral.findings import VisitFindings, visit_findings  # re-exported
from interop.referral.followup import get_visit  # re-exported
from interop.referral.lifecycle import (  # re-exported
    complete_task,
    ensure_escalation_sweep,
    escalate_unanswered,
    withdraw_referral,
)
from interop.referral.models import Notification
from interop.referral.notification_body import NotificationEvent, render_notifications_with  # re-exported
from interop.referral.patients import (  # re-exported
    get_patient,
    readable_ids_sql,
    readable_params,
    readable_patient_ids,
    search_patients,
)
from interop.referral.queries import (  # re-exported: the domain's read side
    SearchQuery,
    get_referral,
    get_task,
    history,
    search_referrals,
    search_tasks,
)
from interop.referral.routing_queue import (  # re-exported
    count_escalated,
    count_waiting,
    list_escalated,
    list_waiting,
    route_referral,
    route_waiting,
)
from interop.referral.scopes import Scope, scope_for  # re-exported
from interop.referral.stats import programme_stats, referral_stats  # re-exported
from interop.referral.subscriptions import (  # re-exported
    SubscriptionCreate,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
)
from interop.referral.visits import PostedVisit, post_visit, request_hash  # re-exported
from interop.referral.workflow import TaskChange, update_task  # re-exported
from interop.referral.worklist import (  # re-exported
    ReferralSheet,
    Worklist,
    get_sheet,
    list_worklist,
    observation_label,
)

__all__ = [
    "NotificationEvent",
    "PostedVisit",
    "ReferralSheet",
    "Scope",
    "SearchQuery",
    "SubscriptionCreate",
    "TaskChange",
    "VisitFindings",
    "Worklist",
    "complete_task",
    "count_escalated",
    "count_waiting",
    "create_subscription",
    "delete_subscription",
    "ensure_escalation_sweep",
    "escalate_unanswered",
    "get_patient",
    "get_referral",
    "get_sheet",
    "get_subscription",
    "get_task",
    "get_visit",
    "history",
    "list_counts",
    "list_escalated",
    "list_subscriptions",
    "list_waiting",
    "list_worklist",
    "observation_label",
    "post_visit",
    "programme_stats",
    "readable_ids_sql",
    "readable_params",
    "readable_patient_ids",
    "referral_stats",
    "render_notifications_with",
    "request_hash",
    "route_referral",
    "route_waiting",
    "scope_for",
    "search_patients",
    "search_referrals",
    "search_tasks",
    "update_task",
    "visit_findings",
    "withdraw_referral",
]


async def count_failed_notifications(session: AsyncSession) -> int:
    """Subscription deliveries that failed for good (retries exhausted), for metrics."""
    return int(await session.scalar(select(func.count()).where(Notification.state == "failed")) or 0)


async def list_counts(session: AsyncSession) -> dict[str, int]:
    """The operators' lists for metrics: ``waiting-route`` and one entry per escalation reason."""
    return {"waiting-route": await count_waiting(session), **await count_escalated(session)}


def load_code_catalogues() -> None:
    """Load the CIE-10 list the visit checks use (~0.7 s, once per process); blocking: call off the loop."""
    from interop.referral.finding_checks import load_catalogue

    load_catalogue()
