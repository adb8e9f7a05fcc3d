from __future__ import annotations

from pathlib import Path

import httpx

from interop.config import Settings
from interop.main import create_app


async def test_tracing_continues_the_callers_trace(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        run_worker=False,
        otel_enabled=True,
        otel_exporter="memory",
    )
    app = create_app(settings)
    trace = "0af7651916cd43dd8448eb211c80319c"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get(
                "/fhir/metadata", headers={"traceparent": f"00-{trace}-b7ad6b7169203331-01"}
            )
    assert response.status_code == 200
    spans = app.state.span_exporter.get_finished_spans()
    assert spans, "no span recorded"
    assert {format(span.context.trace_id, "032x") for span in spans} == {trace}
    assert any(span.attributes.get("http.route") == "/fhir/metadata" for span in spans)


async def test_tracing_is_off_by_default(app: object) -> None:
    assert app.state.span_exporter is None  # type: ignore[attr-defined]
