"""Client secrets (issue 14, item 13): the first ``admin`` secret reaches a terminal or a ``0600`` file,
never a log, with the address the server really listens on; ``interop clients rotate-secret`` replaces a
secret (audited); a revoked name gets a clear answer instead of a bare "exists"."""

from __future__ import annotations

import asyncio
import io
import stat
from typing import Any

import httpx
from click.testing import Result
from sqlalchemy import text
from typer.testing import CliRunner

from interop.cli import app as cli_app
from interop.config import Settings

from .conftest import Register

FORM = {"grant_type": "client_credentials"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


async def _interop(settings: Settings, *args: str) -> Result:
    env = {"DATABASE_URL": str(settings.database_url), "INTEROP_DATA_DIR": str(settings.data_dir)}
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), env=env, catch_exceptions=False)


def test_the_admin_secret_goes_to_a_private_file_when_no_terminal_reads_it(settings: Settings) -> None:
    # tests/auth's settings carry a base URL (for private_key_jwt); here none is configured.
    settings = settings.model_copy(update={"base_url": None})
    from interop.auth.cli import announce_admin_secret

    pipe = _Pipe()
    announce_admin_secret(settings, "s3cr3t-value", host="0.0.0.0", port=9123, stream=pipe)  # noqa: S104
    said = pipe.getvalue()
    assert "s3cr3t-value" not in said
    assert "curl" not in said
    secret_file = settings.resolved_data_dir / "admin-secret"
    assert str(secret_file) in said
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    written = secret_file.read_text()
    assert written.splitlines()[0] == "s3cr3t-value"
    assert "http://127.0.0.1:9123/auth/token" in written
    assert ":8000" not in written


def test_the_admin_secret_is_printed_on_a_terminal_with_the_real_address(settings: Settings) -> None:
    # tests/auth's settings carry a base URL (for private_key_jwt); here none is configured.
    settings = settings.model_copy(update={"base_url": None})
    from interop.auth.cli import announce_admin_secret

    terminal = _Terminal()
    announce_admin_secret(settings, "s3cr3t-value", host="127.0.0.1", port=9321, stream=terminal)
    said = terminal.getvalue()
    assert "s3cr3t-value" in said
    assert (
        "curl -s -u 'admin:s3cr3t-value' -d grant_type=client_credentials http://127.0.0.1:9321/auth/token"
        in said
    )
    assert not (settings.resolved_data_dir / "admin-secret").exists()
    with_base = settings.model_copy(update={"base_url": "https://interop.example.mx/"})
    terminal = _Terminal()
    announce_admin_secret(with_base, "x", host="0.0.0.0", port=1, stream=terminal)  # noqa: S104
    assert "https://interop.example.mx/auth/token" in terminal.getvalue()


def test_the_service_prints_nothing() -> None:
    from interop.auth import service as auth_service

    assert not hasattr(auth_service, "bootstrap_admin_sync")
    assert "print(" not in open(auth_service.__file__).read()  # noqa: SIM115


async def test_rotate_secret_replaces_the_secret_and_is_audited(
    settings: Settings, register: Register, serve_with: Any, sessionmaker: Any
) -> None:
    old = await register("clinic-rotating", "clinic", clues=["DFIMB000123"])
    assert old is not None
    rotated = await _interop(settings, "clients", "rotate-secret", "clinic-rotating")
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip().splitlines()[-1]
    assert new != old
    assert len(new) >= 40
    async with serve_with(settings) as (_, http):
        http: httpx.AsyncClient
        assert (await http.post("/auth/token", data=FORM, auth=("clinic-rotating", old))).status_code == 401
        assert (await http.post("/auth/token", data=FORM, auth=("clinic-rotating", new))).status_code == 200
    async with sessionmaker() as session:
        events = (
            await session.execute(
                # every record, sequenced or still in the intake
                text("SELECT action, subtype, entities FROM audit_record WHERE subtype = 'update'")
            )
        ).all()
    assert any(e.action == "U" and "clinic-rotating" in e.entities for e in events)
    assert all(new not in e.entities and old not in e.entities for e in events)


async def test_a_revoked_name_gets_a_clear_answer(settings: Settings, register: Register) -> None:
    await register("bienestar-old", "bienestar")
    assert (await _interop(settings, "clients", "revoke", "bienestar-old")).exit_code == 0
    again = await _interop(settings, "clients", "add", "bienestar-old", "--role", "bienestar")
    assert again.exit_code == 1
    assert "revocado" in again.stderr
    rotate = await _interop(settings, "clients", "rotate-secret", "bienestar-old")
    assert rotate.exit_code == 1
    assert "revocado" in rotate.stderr
    missing = await _interop(settings, "clients", "rotate-secret", "nobody")
    assert missing.exit_code == 1
