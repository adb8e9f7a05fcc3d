"""``interop users …``: people who sign in to the web pages (DESIGN.md, CLI contract)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from interop.accounts import service as accounts_service
from interop.accounts.schemas import NewCredentials, PersonAccount
from interop.command import fail, in_session
from interop.config import Settings
from interop.messages import help_text, text

users_app = typer.Typer(no_args_is_help=True)
_LABEL = "interop users"


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _read_password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise fail(_LABEL, text("cli.users.no_password"))
    return password


def _show(creds: NewCredentials) -> None:
    if creds.password:
        typer.echo(text("cli.users.one_time_password"))
        typer.echo(creds.password)
    if creds.totp_uri:
        typer.echo(text("cli.users.totp_uri"))
        typer.echo(creds.totp_uri)


@users_app.command("add", help=help_text("cli.help.users.add"))
def add(
    name: Annotated[str, typer.Argument(help=help_text("cli.help.users.name_new"))],
    role: Annotated[str, typer.Option("--role", help=help_text("cli.help.users.role"))],
    clues: Annotated[
        list[str] | None,
        typer.Option("--clues", help=help_text("cli.help.users.clues")),
    ] = None,
    entidad: Annotated[
        list[str] | None,
        typer.Option("--entidad", help=help_text("cli.help.users.entidades")),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=help_text("cli.help.users.password_stdin"))
    ] = False,
    totp: Annotated[bool, typer.Option("--totp", help=help_text("cli.help.users.totp"))] = False,
    oidc_subject: Annotated[
        str | None,
        typer.Option(
            "--oidc-subject",
            help=help_text("cli.help.users.oidc_subject_new"),
        ),
    ] = None,
) -> None:
    """Create a person's account. Without --password-stdin or --oidc-subject a one-time password is
    printed."""
    settings = Settings()
    password = _read_password() if password_stdin else None

    async def work(session: AsyncSession) -> NewCredentials:
        return await accounts_service.add_user(
            session,
            username=name,
            role=role,
            clues=_split(clues),
            entidades=_split(entidad),
            password=password,
            totp=totp,
            totp_required_roles=settings.web_totp_required_roles,
            oidc_subject=oidc_subject,
        )

    creds = in_session(_LABEL, settings, work)
    typer.echo(text("cli.users.created", name=creds.account.username, role=creds.account.role))
    _show(creds)


def _row(a: PersonAccount) -> tuple[str, ...]:
    state = text("cli.users.active" if a.active else "cli.users.inactive")
    return (
        a.username,
        a.role,
        state,
        text("cli.users.yes" if a.has_totp else "cli.users.no"),
        ",".join(a.clues or a.entidades) or "-",
        a.last_sign_in_at.isoformat(timespec="seconds") if a.last_sign_in_at else "-",
    )


@users_app.command("list", help=help_text("cli.help.users.list"))
def list_command() -> None:
    """List the accounts: name, role, state, second factor, units or entidades, last sign-in."""

    async def work(session: AsyncSession) -> list[PersonAccount]:
        return await accounts_service.list_users(session)

    rows = [_row(a) for a in in_session(_LABEL, Settings(), work)]
    header = tuple(text("cli.users.header").split("|"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


@users_app.command("disable", help=help_text("cli.help.users.disable"))
def disable(name: Annotated[str, typer.Argument(help=help_text("cli.help.users.name"))]) -> None:
    """Disable an account; its open sessions end at their next page."""

    async def work(session: AsyncSession) -> PersonAccount:
        return await accounts_service.disable_user(session, username=name)

    account = in_session(_LABEL, Settings(), work)
    typer.echo(text("cli.users.disabled", name=account.username))


@users_app.command("reset", help=help_text("cli.help.users.reset"))
def reset(
    name: Annotated[str, typer.Argument(help=help_text("cli.help.users.name"))],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=help_text("cli.help.users.new_password_stdin"))
    ] = False,
    totp: Annotated[bool, typer.Option("--totp", help=help_text("cli.help.users.new_totp"))] = False,
) -> None:
    """New password (one-time unless --password-stdin), lockout lifted, account enabled, sessions ended."""
    password = _read_password() if password_stdin else None

    async def work(session: AsyncSession) -> NewCredentials:
        return await accounts_service.reset_user(session, username=name, password=password, totp=totp)

    creds = in_session(_LABEL, Settings(), work)
    typer.echo(text("cli.users.reset", name=creds.account.username))
    _show(creds)


@users_app.command("oidc", help=help_text("cli.help.users.oidc"))
def oidc(
    name: Annotated[str, typer.Argument(help=help_text("cli.help.users.name"))],
    subject: Annotated[
        str | None,
        typer.Argument(help=help_text("cli.help.users.oidc_subject")),
    ] = None,
    unbind: Annotated[bool, typer.Option("--unbind", help=help_text("cli.help.users.unbind"))] = False,
) -> None:
    """Bind an account to the person's subject at the OpenID Connect provider (or --unbind it); the
    account's open sessions end."""
    if (subject is None) == (not unbind):
        raise fail(_LABEL, text("cli.users.subject_or_unbind"))

    async def work(session: AsyncSession) -> PersonAccount:
        return await accounts_service.bind_oidc_subject(session, username=name, subject=subject)

    account = in_session(_LABEL, Settings(), work)
    typer.echo(text("cli.users.bound" if account.has_oidc else "cli.users.unbound", name=account.username))
