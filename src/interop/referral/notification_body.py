"""What a subscription notification says, and who renders it. The referral domain delivers notifications
but does not speak FHIR: ``interop.fhir.subscription_resources`` registers the renderer of the Bundle when
it is imported (the job worker imports it with the task modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    """One Task change announced to one subscription; ``base`` is the public ``/fhir`` base URL."""

    base: str
    subscription_id: str
    event_number: int
    events_since_start: int
    status: str
    task_id: str  # the focus: a Task, or a ServiceRequest for a Bienestar subscription
    at: datetime
    resource_type: str = "Task"


NotificationRenderer = Callable[[NotificationEvent], dict[str, Any]]
_renderers: list[NotificationRenderer] = []


def render_notifications_with(renderer: NotificationRenderer) -> None:
    """Set the renderer of notification bodies (idempotent: the last one set is used)."""
    _renderers[:] = [renderer]


def render(event: NotificationEvent) -> dict[str, Any]:
    if not _renderers:
        raise RuntimeError("no notification renderer: import interop.fhir.subscription_resources")
    return _renderers[0](event)
