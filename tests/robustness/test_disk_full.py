"""The data folder fills up while a file is uploaded for import: a clear error, and nothing of it is
stored or visible (no import, no partial file)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interop.config import Settings


@pytest.fixture
def small_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB filesystem as the data folder (tmpfs; the test runs as root, like CI)."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_upload_into_a_full_data_folder(
    database_url: str, small_data_dir: Path, live_server_class: Any
) -> None:
    # No free-space margin: this is about the disk really filling up mid-upload (ENOSPC).
    settings = Settings(
        database_url=database_url, data_dir=small_data_dir, run_worker=True, upload_min_free_bytes=0
    )
    live = live_server_class(settings)
    live.start()
    try:
        header = "record_id,nombre,primer_apellido,segundo_apellido,fecha_nacimiento,sexo,entidad\n"
        rows = "".join(f"R{n:07d},JUAN,PEREZ,LOPEZ,1950-01-01,H,DF\n" for n in range(40_000))
        body = (header + rows).encode()
        assert len(body) > 1_000_000
        headers = {"Authorization": f"Bearer {live.token('admin')}", "content-type": "text/csv"}
        with httpx.Client(base_url=live.url, timeout=60, headers=headers) as client:
            response = client.post("/v1/imports", params={"kind": "roll"}, content=body)
            assert response.status_code == 507, response.text
            assert response.json()["error"]["code"] == "upload-storage-full"
            assert "no queda espacio" in response.json()["error"]["message"]
            small = client.post(
                "/v1/imports", params={"kind": "roll"}, content=(header + rows[:200]).encode()
            )
            assert small.status_code == 202, small.text
            assert small.json()["id"] == 1, "the refused upload left an import behind"
        leftovers = [p.name for p in (small_data_dir / "uploads").iterdir() if p.name.endswith(".part")]
        assert leftovers == []
    finally:
        live.stop()
