"""``interop clients …`` and ``interop token``: the embedded issuer's API clients, and local tokens."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interop.auth import service as auth_service
from interop.auth.tokens import KeyRing, retire, rotate
from interop.command import in_session
from interop.config import Settings
from interop.context import RequestContext
from interop.errors import DomainError

clients_app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the migrated database, committing when it returns."""
    return in_session("interop", settings, work)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@clients_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Client id (letters, digits, . _ -).")],
    role: Annotated[str, typer.Option("--role", help="bienestar, clinic, reviewer, auditor or admin.")],
    clues: Annotated[
        list[str] | None,
        typer.Option("--clues", help="CLUES of a clinic's units (repeat, or comma-separated)."),
    ] = None,
    jwks: Annotated[
        Path | None,
        typer.Option("--jwks", exists=True, dir_okay=False, help="Public JWK set for private_key_jwt."),
    ] = None,
    no_secret: Annotated[
        bool, typer.Option("--no-secret", help="No client secret: authenticate only with --jwks keys.")
    ] = False,
) -> None:
    """Register a client. Prints its secret once: only a hash is stored."""
    key_set: dict[str, Any] | None = None
    if jwks is not None:
        try:
            key_set = json.loads(jwks.read_text())
        except (OSError, ValueError) as exc:
            typer.echo(f"interop: cannot read the JWK set: {type(exc).__name__}", err=True)
            raise typer.Exit(1) from None
        if not isinstance(key_set, dict):
            typer.echo("interop: the JWK set must be a JSON object with 'keys'", err=True)
            raise typer.Exit(1)

    async def work(session: AsyncSession) -> str | None:
        _, secret = await auth_service.create_client(
            session, name=name, role=role, clues=_split(clues), jwks=key_set, with_secret=not no_secret
        )
        return secret

    secret = _with_session(Settings(), work)
    typer.echo(f"client {name} created (role {role})")
    if secret:
        typer.echo("secret (shown only now; store it safely):")
        typer.echo(secret)


@clients_app.command("list")
def list_command() -> None:
    """List the clients: name, role, state, authentication methods, CLUES."""

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for c in await auth_service.list_clients(session):
            methods = "+".join(m for m, on in (("secret", c.secret_hash), ("jwks", c.jwks)) if on) or "-"
            rows.append(
                (c.name, c.role, "active" if c.active else "revoked", methods, ",".join(c.clues) or "-")
            )
        return rows

    rows = _with_session(Settings(), work)
    header = ("NAME", "ROLE", "STATE", "AUTH", "CLUES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@clients_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="Client id.")]) -> None:
    """Revoke a client: no new tokens; its live tokens stop working within seconds."""

    async def work(session: AsyncSession) -> None:
        await auth_service.revoke_client(session, name=name)

    _with_session(Settings(), work)
    typer.echo(f"client {name} revoked")


@clients_app.command("rotate-key")
def rotate_key() -> None:
    """Add a new signing key. Older keys keep verifying the tokens they signed until retired."""
    settings = Settings()
    key = rotate(settings.resolved_data_dir / "keys")
    ring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")
    typer.echo(f"new signing key {key.kid}; {len(ring.keys)} key(s) in the JWKS")


@clients_app.command("retire-key")
def retire_key(kid: Annotated[str, typer.Argument(help="Key id (see /.well-known/jwks.json).")]) -> None:
    """Remove an old signing key: tokens it signed stop verifying. The current key cannot be retired."""
    settings = Settings()
    try:
        retire(settings.resolved_data_dir / "keys", kid)
    except KeyError:
        typer.echo(f"interop: no key {kid}", err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        typer.echo(f"interop: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"key {kid} retired")


def token(
    client: Annotated[str, typer.Option("--client", help="A registered, active client.")],
    scope: Annotated[str | None, typer.Option("--scope", help="Narrow the scopes (SMART v2).")] = None,
) -> None:
    """Mint a token from the embedded issuer for a registered active client (alone on the last line)."""
    settings = Settings()
    if settings.auth_jwks_url:
        typer.echo("interop: the embedded issuer is off (INTEROP_AUTH_JWKS_URL is set)", err=True)
        raise typer.Exit(1)
    keyring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")

    async def work(session: AsyncSession) -> str:
        found = await auth_service.get_client(session, name=client)
        if found is None or not found.active:
            raise DomainError(f"no active client named {client}")
        issued = auth_service.issue_token(keyring, settings, client=found, requested_scope=scope)
        ctx = RequestContext(
            actor=auth_service.actor_of(found),
            request_id=secrets.token_hex(12),
            trace_id=secrets.token_hex(16),
        )
        await auth_service.record_login(session, ctx, client_name=found.name, succeeded=True)
        return issued.access_token

    access_token = _with_session(settings, work)
    typer.echo(access_token)
