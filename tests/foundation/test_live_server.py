from __future__ import annotations

from typing import Any

import httpx


def test_live_server_answers_over_real_http(live_server: Any) -> None:
    response = httpx.get(f"{live_server.url}/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
