"""Prometheus metrics. Labels are route templates and status codes, never identifiers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
JOBS = Gauge("interop_jobs", "Jobs by kind and state", ["kind", "state"], registry=REGISTRY)
JOB_AGE = Gauge(
    "interop_job_oldest_age_seconds",
    "Age of the oldest job by kind and state",
    ["kind", "state"],
    registry=REGISTRY,
)
JOB_PROGRESS = Gauge(
    "interop_job_progress",
    "Progress counters of running jobs (imports, match runs)",
    ["kind", "job_id", "measure"],
    registry=REGISTRY,
)
AUDIT_CHAIN_LENGTH = Gauge("interop_audit_chain_length", "Audit events in the chain", registry=REGISTRY)
NOTIFICATION_FAILURES = Gauge(
    "interop_notification_failures", "Subscription deliveries that failed for good", registry=REGISTRY
)
DB_POOL = Gauge("interop_db_pool_connections", "Database pool connections", ["state"], registry=REGISTRY)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
