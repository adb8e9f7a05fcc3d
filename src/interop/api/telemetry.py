"""OpenTelemetry tracing, off unless ``INTEROP_OTEL_ENABLED``. Spans continue the caller's W3C traceparent,
so the trace id in logs and audit events is the trace id in the tracing backend. Span attributes carry
route templates, never identifiers from paths or bodies."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from interop.config import Settings


def setup_tracing(app: FastAPI, settings: Settings) -> Any | None:
    """Instrument the app; returns the span exporter (tests read the in-memory one)."""
    if not settings.otel_enabled:
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    except ImportError as exc:  # pragma: no cover - depends on the installed extra
        raise RuntimeError("INTEROP_OTEL_ENABLED needs the otel extra: pip install 'interop[otel]'") from exc

    provider = TracerProvider(resource=Resource.create({"service.name": "interop"}))
    exporter: Any
    if settings.otel_exporter == "memory":
        exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.otel_exporter == "console":
        exporter = ConsoleSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    with_global = trace.get_tracer_provider()
    if not isinstance(with_global, TracerProvider):
        trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")
    return exporter
