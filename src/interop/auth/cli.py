"""``interop clients …`` and ``interop token``: the embedded issuer's API clients, and local tokens."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TextIO, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interop.auth import service as auth_service
from interop.auth.tokens import KeyRing, retire, rotate
from interop.command import in_session
from interop.config import Settings
from interop.context import RequestContext, system_context
from interop.errors import DomainError
from interop.messages import help_text, text

clients_app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the migrated database, committing when it returns."""
    return in_session("interop", settings, work)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


@clients_app.command("add", help=help_text("cli.help.clients.add"))
def add(
    name: Annotated[str, typer.Argument(help=help_text("cli.help.clients.name_new"))],
    role: Annotated[str, typer.Option("--role", help=help_text("cli.help.clients.role"))],
    clues: Annotated[
        list[str] | None,
        typer.Option("--clues", help=help_text("cli.help.clients.clues")),
    ] = None,
    jwks: Annotated[
        Path | None,
        typer.Option("--jwks", exists=True, dir_okay=False, help=help_text("cli.help.clients.jwks")),
    ] = None,
    no_secret: Annotated[
        bool, typer.Option("--no-secret", help=help_text("cli.help.clients.no_secret"))
    ] = False,
) -> None:
    """Register a client. Prints its secret once: only a hash is stored."""
    key_set: dict[str, Any] | None = None
    if jwks is not None:
        try:
            key_set = json.loads(jwks.read_text())
        except (OSError, ValueError) as exc:
            typer.echo(f"interop: {text('cli.clients.jwks_unreadable', error=type(exc).__name__)}", err=True)
            raise typer.Exit(1) from None
        if not isinstance(key_set, dict):
            typer.echo(f"interop: {text('cli.clients.jwks_shape')}", err=True)
            raise typer.Exit(1)

    async def work(session: AsyncSession) -> str | None:
        _, secret = await auth_service.create_client(
            session, name=name, role=role, clues=_split(clues), jwks=key_set, with_secret=not no_secret
        )
        return secret

    secret = _with_session(Settings(), work)
    typer.echo(text("cli.clients.created", name=name, role=role))
    if secret:
        typer.echo(text("cli.clients.secret_once"))
        typer.echo(secret)


@clients_app.command("list", help=help_text("cli.help.clients.list"))
def list_command() -> None:
    """List the clients: name, role, state, authentication methods, CLUES."""

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for c in await auth_service.list_clients(session):
            methods = "+".join(m for m, on in (("secret", c.secret_hash), ("jwks", c.jwks)) if on) or "-"
            state = text("cli.clients.active" if c.active else "cli.clients.inactive")
            rows.append((c.name, c.role, state, methods, ",".join(c.clues) or "-"))
        return rows

    rows = _with_session(Settings(), work)
    header = tuple(text("cli.clients.header").split("|"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@clients_app.command("revoke", help=help_text("cli.help.clients.revoke"))
def revoke(name: Annotated[str, typer.Argument(help=help_text("cli.help.clients.name"))]) -> None:
    """Revoke a client: no new tokens; its live tokens stop working within seconds."""

    async def work(session: AsyncSession) -> None:
        await auth_service.revoke_client(session, name=name)

    _with_session(Settings(), work)
    typer.echo(text("cli.clients.revoked", name=name))


@clients_app.command("rotate-secret", help=help_text("cli.help.clients.rotate_secret"))
def rotate_secret(name: Annotated[str, typer.Argument(help=help_text("cli.help.clients.name"))]) -> None:
    """Give a client a new secret (printed once); the old one stops working at once. Audited."""

    async def work(session: AsyncSession) -> str:
        ctx = system_context(request_id=f"cli-{secrets.token_hex(6)}", trace_id=secrets.token_hex(16))
        return await auth_service.rotate_secret(session, ctx, name=name)

    secret = _with_session(Settings(), work)
    typer.echo(text("cli.clients.rotated", name=name))
    typer.echo(text("cli.clients.secret_once"))
    typer.echo(secret)


@clients_app.command("rotate-key", help=help_text("cli.help.clients.rotate_key"))
def rotate_key() -> None:
    """Add a new signing key. Older keys keep verifying the tokens they signed until retired."""
    settings = Settings()
    key = rotate(settings.resolved_data_dir / "keys")
    ring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")
    typer.echo(text("cli.keys.new", kid=key.kid, count=len(ring.keys)))


@clients_app.command("retire-key", help=help_text("cli.help.clients.retire_key"))
def retire_key(kid: Annotated[str, typer.Argument(help=help_text("cli.help.clients.kid"))]) -> None:
    """Remove an old signing key: tokens it signed stop verifying. The current key cannot be retired."""
    settings = Settings()
    try:
        retire(settings.resolved_data_dir / "keys", kid)
    except KeyError:
        typer.echo(f"interop: {text('cli.keys.unknown', kid=kid)}", err=True)
        raise typer.Exit(1) from None
    except ValueError:  # the only refusal: the current key (tokens.retire)
        typer.echo(f"interop: {text('cli.keys.current')}", err=True)
        raise typer.Exit(1) from None
    typer.echo(text("cli.keys.retired", kid=kid))


def token(
    client: Annotated[str, typer.Option("--client", help=help_text("cli.help.token.client"))],
    scope: Annotated[str | None, typer.Option("--scope", help=help_text("cli.help.token.scope"))] = None,
) -> None:
    """Mint a token from the embedded issuer for a registered active client (alone on the last line)."""
    settings = Settings()
    if settings.auth_jwks_url:
        typer.echo(f"interop: {text('cli.token.issuer_off')}", err=True)
        raise typer.Exit(1)
    keyring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")

    async def work(session: AsyncSession) -> str:
        found = await auth_service.get_client(session, name=client)
        if found is None or not found.active:
            raise DomainError.said("cli.clients.no_active", name=client)
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


ADMIN_SECRET_FILE = "admin-secret"  # noqa: S105 - a file name, not a secret


def _public_base(settings: Settings, host: str, port: int) -> str:
    """Where a local operator reaches the server just started: the configured base URL, else host:port
    (a wildcard listen address is reached on loopback)."""
    if settings.base_url:
        return settings.base_url.rstrip("/")
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


public_base = _public_base  # also what `interop serve` and `interop demo` print


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def announce_admin_secret(
    settings: Settings, secret: str, *, host: str, port: int, stream: TextIO | None = None
) -> None:
    """Tell the operator the first ``admin`` secret: on an interactive terminal, printed; otherwise (logs,
    containers) written to a ``0600`` file in the data folder, and only its path printed."""
    out = stream or sys.stderr
    base = _public_base(settings, host, port)
    admin = auth_service.ADMIN_NAME
    how = (
        text("cli.admin.how")
        + f"\n  interop token --client {admin}\n"
        + f"  curl -s -u '{admin}:{secret}' -d grant_type=client_credentials {base}/auth/token\n"
    )
    if out.isatty():
        out.write(f"interop: {text('cli.admin.shown', name=admin)}\n  {secret}\n{how}")
        out.flush()
        return
    path = settings.resolved_data_dir / ADMIN_SECRET_FILE
    _write_private(path, f"{secret}\n\n{how}")
    out.write(f"interop: {text('cli.admin.in_file', name=admin, path=path)}\n")
    out.flush()


def bootstrap_admin(settings: Settings, url: str, *, host: str, port: int) -> None:
    """Before the server starts (outside any event loop): create ``admin`` once and say how to get a token."""
    if settings.auth_jwks_url:
        return

    async def run() -> str | None:
        from interop.db.runtime import open_database

        async with open_database(settings, url) as db, db.sessionmaker() as session:
            secret = await auth_service.bootstrap_admin(session)
            await session.commit()
            return secret

    secret = asyncio.run(run())
    if secret is not None:
        announce_admin_secret(settings, secret, host=host, port=port)
