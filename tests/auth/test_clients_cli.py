"""``interop clients add|list|revoke|rotate-key|retire-key`` and ``interop token`` against the test database,
and the first-start bootstrap of the ``admin`` client by ``interop serve``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
from click.testing import Result
from fastapi import FastAPI
from typer.testing import CliRunner

from interop.auth import cli as auth_cli
from interop.auth import service as auth_service
from interop.cli import app as cli_app
from interop.config import Settings

PROBE = "/_probe/task"


async def _interop(settings: Settings, *args: str) -> Result:
    """Run the real ``interop`` command (in a thread: it runs its own event loop, as from a shell)."""
    env = {"DATABASE_URL": str(settings.database_url), "INTEROP_DATA_DIR": str(settings.data_dir)}
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli_app, list(args), env=env, catch_exceptions=False)


async def test_add_list_token_revoke_round_trip(settings: Settings, serve_with: Any) -> None:
    async with serve_with(settings, auth_client_cache_s=0.3) as (app, http):
        await _round_trip(app, http, settings)


async def _round_trip(app: FastAPI, probe_client: httpx.AsyncClient, settings: Settings) -> None:
    added = await _interop(
        settings,
        "clients",
        "add",
        "clinic-north",
        "--role",
        "clinic",
        "--clues",
        "DFIMB000123",
        "--clues",
        "dfssa004321",
    )
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40
    # The secret is shown once and stored only as an argon2 hash.
    async with app.state.sessionmaker() as session:
        stored = await auth_service.get_client(session, name="clinic-north")
    assert stored is not None
    assert stored.secret_hash is not None
    assert stored.secret_hash.startswith("$argon2id$")
    assert secret not in stored.secret_hash
    assert stored.clues == ["DFIMB000123", "DFSSA004321"]

    listed = await _interop(settings, "clients", "list")
    assert listed.exit_code == 0
    row = next(line for line in listed.stdout.splitlines() if line.startswith("clinic-north"))
    assert row.split() == ["clinic-north", "clinic", "activo", "secret", "DFIMB000123,DFSSA004321"]
    assert secret not in listed.stdout

    minted = await _interop(settings, "token", "--client", "clinic-north")
    assert minted.exit_code == 0, minted.output
    token = minted.stdout.strip().splitlines()[-1]
    assert jwt.decode(token, options={"verify_signature": False})["clues"] == ["DFIMB000123", "DFSSA004321"]
    used = await probe_client.get(PROBE, headers={"Authorization": f"Bearer {token}"})
    assert used.status_code == 200
    assert used.json()["clues"] == ["DFIMB000123", "DFSSA004321"]

    # The secret works at the token endpoint too.
    issued = await probe_client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=("clinic-north", secret)
    )
    assert issued.status_code == 200

    revoked = await _interop(settings, "clients", "revoke", "clinic-north")
    assert revoked.exit_code == 0
    refused = await _interop(settings, "token", "--client", "clinic-north")
    assert refused.exit_code == 1
    assert "no hay un cliente activo llamado clinic-north" in refused.stderr
    listed = await _interop(settings, "clients", "list")
    assert "revocado" in next(line for line in listed.stdout.splitlines() if line.startswith("clinic-north"))
    await asyncio.sleep(0.4)  # the API's client-state cache (0.3 s here) ages out: the live token dies
    gone = await probe_client.get(PROBE, headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


async def test_add_refuses_bad_specs_and_duplicates(settings: Settings, app: FastAPI) -> None:
    no_clues = await _interop(settings, "clients", "add", "clinic-x", "--role", "clinic")
    assert no_clues.exit_code == 1
    assert "CLUES" in no_clues.stderr
    bad_role = await _interop(settings, "clients", "add", "who", "--role", "superuser")
    assert bad_role.exit_code == 1
    assert "el rol debe ser uno de" in bad_role.stderr
    bad_clues = await _interop(settings, "clients", "add", "c2", "--role", "clinic", "--clues", "12345")
    assert bad_clues.exit_code == 1
    assert "CLUES" in bad_clues.stderr
    assert (await _interop(settings, "clients", "add", "aud", "--role", "auditor")).exit_code == 0
    again = await _interop(settings, "clients", "add", "aud", "--role", "auditor")
    assert again.exit_code == 1
    assert "ya existe" in again.stderr
    unknown = await _interop(settings, "clients", "revoke", "nobody")
    assert unknown.exit_code == 1


async def test_add_with_jwks_for_private_key_jwt(
    settings: Settings, probe_client: httpx.AsyncClient, client_key: Any, tmp_path: Path
) -> None:
    jwks_file = tmp_path / "client.jwks.json"
    jwks_file.write_text(json.dumps(client_key.jwks))
    added = await _interop(
        settings, "clients", "add", "svc-jwt", "--role", "bienestar", "--jwks", str(jwks_file), "--no-secret"
    )
    assert added.exit_code == 0, added.output
    assert "secret" not in added.stdout
    listed = await _interop(settings, "clients", "list")
    assert (
        next(line for line in listed.stdout.splitlines() if line.startswith("svc-jwt")).split()[3] == "jwks"
    )
    response = await probe_client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_key.assertion("svc-jwt"),
        },
    )
    assert response.status_code == 200, response.text
    private = dict(client_key.jwks["keys"][0], d="AAAA")
    jwks_file.write_text(json.dumps({"keys": [private]}))
    leaked = await _interop(
        settings, "clients", "add", "svc-bad", "--role", "bienestar", "--jwks", str(jwks_file)
    )
    assert leaked.exit_code == 1
    assert "private key" in leaked.stderr


async def test_rotate_and_retire_keys(settings: Settings, probe_client: httpx.AsyncClient) -> None:
    before = [k["kid"] for k in (await probe_client.get("/.well-known/jwks.json")).json()["keys"]]
    rotated = await _interop(settings, "clients", "rotate-key")
    assert rotated.exit_code == 0
    assert "2 llave(s)" in rotated.stdout
    await asyncio.sleep(1.05)
    after = [k["kid"] for k in (await probe_client.get("/.well-known/jwks.json")).json()["keys"]]
    assert after[: len(before)] == before
    assert len(after) == 2
    current = await _interop(settings, "clients", "retire-key", after[-1])
    assert current.exit_code == 1
    assert "llave de firma vigente" in current.stderr
    retired = await _interop(settings, "clients", "retire-key", before[0])
    assert retired.exit_code == 0
    await asyncio.sleep(1.05)
    assert [k["kid"] for k in (await probe_client.get("/.well-known/jwks.json")).json()["keys"]] == after[1:]


async def test_serve_bootstrap_creates_admin_once(
    settings: Settings, probe_client: httpx.AsyncClient, capfd: Any
) -> None:
    assert settings.database_url
    await asyncio.to_thread(
        auth_cli.bootstrap_admin, settings, settings.database_url, host="127.0.0.1", port=8000
    )
    first = capfd.readouterr().err
    assert "'admin'" in first
    secret_file = settings.resolved_data_dir / auth_cli.ADMIN_SECRET_FILE
    assert str(secret_file) in first
    secret = secret_file.read_text().splitlines()[0].strip()
    assert secret not in first
    assert "interop token --client admin" in secret_file.read_text()
    issued = await probe_client.post(
        "/auth/token", data={"grant_type": "client_credentials"}, auth=("admin", secret)
    )
    assert issued.status_code == 200
    assert issued.json()["scope"] == "system/*.cruds"
    await asyncio.to_thread(
        auth_cli.bootstrap_admin, settings, settings.database_url, host="127.0.0.1", port=8000
    )
    assert "admin" not in capfd.readouterr().err
