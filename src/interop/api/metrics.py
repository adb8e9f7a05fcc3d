"""Prometheus metrics. Labels are route templates and status codes, never identifiers.

Two kinds: what each process counts (requests, latency, its pool) and what the database says at scrape
time (queue, audit chain, deliveries, job progress). The first kind is aggregated across the worker
processes of ``interop serve --workers N`` through prometheus_client's multiprocess mode (the supervisor
sets ``PROMETHEUS_MULTIPROC_DIR`` before this module is imported); the second is read fresh on every
scrape into a throwaway registry, so it is the same whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "interop_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "interop_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
DB_POOL = Gauge(
    "interop_db_pool_connections",
    "Database pool connections",
    ["state"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
DELIVERY_FAILURES = Counter(
    "interop_subscription_delivery_failures_total",
    "Failed rest-hook notification attempts, by reason (policy, resolve, address, connect, timeout, "
    "transport, status); the client's Subscription shows a generic error only",
    ["reason"],
    registry=REGISTRY,
)


def observe_delivery_failure(reason: str) -> None:
    DELIVERY_FAILURES.labels(reason).inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def render(
    *,
    queue: Iterable[tuple[str, str, int, float]] = (),
    chain_length: int | None = None,
    failed_notifications: int | None = None,
    progress: Iterable[tuple[str, int, Mapping[str, Any]]] = (),
    db_unreachable_s: float = 0.0,
    audit_merge_delay: float | None = None,
    referral_lists: Mapping[str, int] | None = None,
) -> bytes:
    """The exposition text: this process's (or every worker's) counters plus the database's state (left
    out while the database is unreachable; ``interop_db_unreachable_seconds`` says for how long)."""
    state = CollectorRegistry(auto_describe=True)
    Gauge(
        "interop_db_unreachable_seconds",
        "Seconds the database has been unreachable, as seen by the process answering (0 when it answers)",
        registry=state,
    ).set(round(db_unreachable_s, 3))
    jobs = Gauge("interop_jobs", "Jobs by kind and state", ["kind", "state"], registry=state)
    ages = Gauge(
        "interop_job_oldest_age_seconds",
        "Age of the oldest job by kind and state",
        ["kind", "state"],
        registry=state,
    )
    for kind, job_state, count, age in queue:
        jobs.labels(kind, job_state).set(count)
        ages.labels(kind, job_state).set(age)
    if chain_length is not None:
        Gauge("interop_audit_chain_length", "Audit events in the chain", registry=state).set(chain_length)
    if audit_merge_delay is not None:
        Gauge(
            "interop_audit_merge_delay_seconds",
            "Age of the oldest committed audit event not yet a leaf of the Merkle tree",
            registry=state,
        ).set(audit_merge_delay)
    if failed_notifications is not None:
        Gauge(
            "interop_notification_failures", "Subscription deliveries that failed for good", registry=state
        ).set(failed_notifications)
    if referral_lists is not None:
        lists = Gauge(
            "interop_referrals_listed",
            "Active referrals on an operator's list: waiting-route, or escalated "
            "(failed, unroutable, unanswered)",
            ["list"],
            registry=state,
        )
        for name in ("waiting-route", "failed", "unroutable", "unanswered"):
            lists.labels(name).set(referral_lists.get(name, 0))
    running = Gauge(
        "interop_job_progress",
        "Progress counters of running jobs (imports, match runs)",
        ["kind", "job_id", "measure"],
        registry=state,
    )
    for kind, job_id, counters in progress:
        for measure, value in counters.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                running.labels(kind, str(job_id), measure).set(value)
    if multiprocess():
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    return generate_latest(counted) + generate_latest(state)
