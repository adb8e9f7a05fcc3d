"""The embedded server's buffer cache follows the memory it may use (``embedded.shared_buffers_for``): a
quarter of the machine's or its container's memory, between 128 MB and 8 GB — not a fixed 1 GB that a
10 M-event audit tree or a 1 M-person match outgrows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from interop.db import embedded

GIB = 2**30


def test_a_quarter_of_the_memory_within_bounds() -> None:
    assert embedded.shared_buffers_for(24 * GIB) == "6144MB"
    assert embedded.shared_buffers_for(4 * GIB) == "1024MB"
    assert embedded.shared_buffers_for(256 * 2**20) == "128MB"  # the floor
    assert embedded.shared_buffers_for(1024 * GIB) == "8192MB"  # the ceiling
    assert embedded.shared_buffers_for(None) == "1GB"  # memory unknown: what it always was


def test_a_containers_limit_below_the_machines_is_what_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = tmp_path / "memory.max"
    monkeypatch.setattr(embedded, "_CGROUP_LIMITS", (limit,))
    limit.write_text("max\n")
    machine = embedded.memory_available()
    assert machine is not None
    assert machine > GIB
    limit.write_text(f"{GIB}\n")
    assert embedded.memory_available() == GIB
    assert embedded.shared_buffers_for(embedded.memory_available()) == "256MB"
    limit.write_text(f"{machine * 4}\n")  # a limit above the machine's memory: the machine's
    assert embedded.memory_available() == machine


def test_a_new_cluster_gets_the_share_and_an_override_still_wins(tmp_path: Path) -> None:
    async def shown(folder: Path, overrides: dict[str, str]) -> str:
        server = await embedded.start_embedded(folder, overrides={"fsync": "off", **overrides})
        try:
            conn = await asyncpg.connect(server.url().replace("+asyncpg", ""))
            try:
                return str(await conn.fetchval("SHOW shared_buffers"))
            finally:
                await conn.close()
        finally:
            server.stop()

    wanted = embedded.shared_buffers_for(embedded.memory_available())
    assert asyncio.run(shown(tmp_path / "a", {})) == wanted
    assert asyncio.run(shown(tmp_path / "b", {"shared_buffers": "200MB"})) == "200MB"
