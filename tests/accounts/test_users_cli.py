"""``interop users add|list|disable|reset`` (DESIGN.md's CLI contract) against the test database."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlparse

import httpx
from click.testing import Result
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.conftest import sign_in
from typer.testing import CliRunner

from interop.cli import app as cli_app
from interop.config import Settings


async def _users(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    env = {"DATABASE_URL": str(settings.database_url), "INTEROP_DATA_DIR": str(settings.data_dir)}
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, cli_app, ["users", *args], input=stdin, env=env, catch_exceptions=False
    )


async def test_add_with_totp_list_disable_reset(
    settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    added = await _users(
        settings,
        "add",
        "auditora",
        "--role",
        "auditor",
        "--password-stdin",
        "--totp",
        stdin="una-clave-muy-larga\n",
    )
    assert added.exit_code == 0, added.output
    uri = added.stdout.strip().splitlines()[-1]
    assert uri.startswith("otpauth://totp/")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    stored = (
        await session.execute(text("SELECT password_hash FROM account_user WHERE username='auditora'"))
    ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "una-clave-muy-larga" not in stored
    signed = await sign_in(client, "auditora", secret=secret, password="una-clave-muy-larga")
    assert signed.status_code == 303
    assert (await client.get("/app/")).status_code == 200

    listed = await _users(settings, "list")
    assert listed.exit_code == 0
    assert "auditora" in listed.stdout
    assert "auditor" in listed.stdout

    disabled = await _users(settings, "disable", "auditora")
    assert disabled.exit_code == 0
    assert (await client.get("/app/")).status_code == 303  # the open session ended
    assert (
        await sign_in(client, "auditora", secret=secret, password="una-clave-muy-larga")
    ).status_code == 401

    reset = await _users(settings, "reset", "auditora")
    assert reset.exit_code == 0
    one_time = reset.stdout.strip().splitlines()[-1]
    # The one-time password is accepted (the second factor comes next; its code of this window was
    # already used above, and a code is good once).
    response = await sign_in(client, "auditora", password=one_time)
    assert response.headers["location"] == "/app/login/totp"


async def test_bad_input_is_a_plain_message_and_nonzero_exit(settings: Settings) -> None:
    no_totp = await _users(settings, "add", "jefa", "--role", "admin")
    assert no_totp.exit_code == 1
    assert "--totp" in no_totp.output
    staff = await _users(settings, "add", "enfermera", "--role", "unit_staff")
    assert staff.exit_code == 1
    assert "CLUES" in staff.output
    bad_role = await _users(settings, "add", "alguien", "--role", "emperador")
    assert bad_role.exit_code == 1
    curp_name = await _users(settings, "add", "gohm800101hdfrrn09", "--role", "reviewer")
    assert curp_name.exit_code == 1
    ok = await _users(settings, "add", "gestor", "--role", "manager", "--entidad", "OC,CS")
    assert ok.exit_code == 0, ok.output
    assert "contraseña de un solo uso" in ok.stdout
    again = await _users(settings, "add", "gestor", "--role", "manager", "--entidad", "OC")
    assert again.exit_code == 1
    assert "Traceback" not in again.output
    missing = await _users(settings, "disable", "nadie")
    assert missing.exit_code == 1


async def test_oidc_subject_bound_at_creation_and_rebound(settings: Settings, session: AsyncSession) -> None:
    added = await _users(settings, "add", "admin-oidc", "--role", "admin", "--oidc-subject", "sub-abc")
    assert added.exit_code == 0, added.output
    assert "contraseña" not in added.stdout  # a provider-only account gets no local password
    row = (
        await session.execute(
            text("SELECT oidc_subject, password_hash FROM account_user WHERE username='admin-oidc'")
        )
    ).one()
    assert tuple(row) == ("sub-abc", None)

    taken = await _users(settings, "add", "otro", "--role", "reviewer", "--oidc-subject", "sub-abc")
    assert taken.exit_code != 0
    assert "ligado a otro usuario" in taken.output

    rebound = await _users(settings, "oidc", "admin-oidc", "sub-def")
    assert rebound.exit_code == 0, rebound.output
    unbound = await _users(settings, "oidc", "admin-oidc", "--unbind")
    assert unbound.exit_code == 0, unbound.output
    assert "sin acceso por proveedor" in unbound.stdout
    both = await _users(settings, "oidc", "admin-oidc", "sub-x", "--unbind")
    assert both.exit_code != 0
    subject = (
        await session.execute(text("SELECT oidc_subject FROM account_user WHERE username='admin-oidc'"))
    ).scalar_one()
    assert subject is None
