"""The ``interop`` command. Each domain contributes its commands from its own ``cli`` module."""

from __future__ import annotations

import asyncio
import errno
import gettext
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer

# Typer's copy of Click: its usage errors are not Click's (typer exports only BadParameter of them).
from typer._click.exceptions import UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from interop.accounts import cli as accounts_cli
from interop.api.logs import LOG_FORMATS, configure_logging
from interop.audit import cli as audit_cli
from interop.audit import service as audit_service
from interop.auth import cli as auth_cli
from interop.command import database, fail, on_database_ready, prepared
from interop.config import Settings
from interop.db.embedded import EmbeddedServer, durability_problems
from interop.db.migrate import head_revision
from interop.db.watchdog import EmbeddedWatchdog
from interop.demo import cli as demo_cli
from interop.ingest import cli as ingest_cli
from interop.matching import cli as matching_cli
from interop.messages import current_language, framework_words, help_text, process_language, text, validation
from interop.synth import cli as synth_cli

# Click's and Typer's own words (usage, option errors, panel titles) in the process's language too.
framework_words.install(process_language())

# Work done from the CLI is audited like work done over HTTP, periodic checkpoints included.
on_database_ready(audit_service.configure)


@contextmanager
def _usage_errors_in_process_language() -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        english, language = exc.format_message(), process_language()
        cause = exc.__cause__  # Typer converts values with pydantic: its error says what was wrong
        errors = cause.errors() if isinstance(cause, pydantic.ValidationError) else []
        detail = validation.describe(errors[0], language) if errors else None
        worded = framework_words.usage_error(english, language, detail=detail)
        exc.format_message = lambda: worded  # type: ignore[method-assign]
        raise


class _Formatter(HelpFormatter):
    """Typer's copy of Click writes "Usage:" out in English; gettext has it in the process's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, f"{gettext.gettext('Usage:')} " if prefix is None else prefix)


class _Context(typer.Context):
    formatter_class = _Formatter


# Help sentences Typer writes out in English (not asked of gettext), by the parameter they describe.
_FRAMEWORK_HELP = {
    "install_completion": "Install completion for the current shell.",
    "show_completion": "Show completion for the current shell, to copy it or customize the installation.",
}


def _in_process_language(command: Any) -> None:
    """Every command of the tree formats its usage and says its framework-made options' help through
    gettext (the catalogue ``framework_words`` installed), as Click itself does."""
    command.context_class = _Context
    for param in command.params:
        english = _FRAMEWORK_HELP.get(param.name or "")
        if english is not None:
            param.help = gettext.gettext(english)
    # Click makes the help option once per command and keeps it; it is made here, then worded.
    help_option = command.get_help_option(_Context(command))
    if help_option is not None:
        help_option.help = gettext.gettext("Show this message and exit.")
    for sub in getattr(command, "commands", {}).values():
        _in_process_language(sub)


class _Group(TyperGroup):
    """The root command: Typer's own copy of Click writes its usage errors in English; they are said
    again in the process's language (``framework_words.usage_error``) on their way to the error panel.
    Its usage line and its own options' help are worded the same way (``_in_process_language``)."""

    _worded = False

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        if not self._worded:
            _in_process_language(self)
            self._worded = True
        with _usage_errors_in_process_language():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _usage_errors_in_process_language():
            return super().invoke(ctx)


app = typer.Typer(
    cls=_Group,
    name="interop",
    help=help_text("cli.help.app"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ingest_cli.app, name="import", help=help_text("cli.help.import"))
app.add_typer(matching_cli.match_app, name="match", help=help_text("cli.help.match"))
app.add_typer(matching_cli.persons_app, name="persons", help=help_text("cli.help.persons"))
app.add_typer(audit_cli.app, name="audit", help=help_text("cli.help.audit"))
app.add_typer(auth_cli.clients_app, name="clients", help=help_text("cli.help.clients"))
app.add_typer(accounts_cli.users_app, name="users", help=help_text("cli.help.users"))
app.command("token", help=help_text("cli.help.token"))(auth_cli.token)
app.command("synth", help=help_text("cli.help.synth"))(synth_cli.command)
app.command("demo", help=help_text("cli.help.demo"))(demo_cli.command)


@app.callback()
def _language() -> None:
    # Every command speaks the process's language (es-MX unless INTEROP_LANGUAGE says otherwise).
    current_language.set(process_language())


def _port_free(host: str, port: int) -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return text("cli.serve.port_in_use", port=port, host=host)
            return text("cli.serve.cannot_listen", host=host, port=port, reason=exc.strerror)
    return None


def _warn_if_owner(url: str) -> None:
    """The service should not be able to disable the audit trail's trigger (docs/security.md)."""
    import asyncio

    from interop.db import roles

    try:
        risky = asyncio.run(roles.may_tamper_with_audit(url))
    except Exception:  # a warning only: the server's own checks report an unreachable database
        return
    if risky:
        typer.echo(f"interop serve: {text('cli.serve.owner_warning')}", err=True)


def _check_durability(server: EmbeddedServer, settings: Settings) -> None:
    unsafe = asyncio.run(durability_problems(server))
    if not unsafe:
        return
    if settings.embedded_allow_unsafe:
        typer.echo(f"interop serve: {text('cli.serve.unsafe_allowed', settings=', '.join(unsafe))}", err=True)
        return
    refused = text("cli.serve.unsafe_refused", settings=", ".join(unsafe), pgdata=server.pgdata)
    raise fail("interop serve", refused, 2)


@app.command(help=help_text("cli.help.serve"))
def serve(
    host: Annotated[str | None, typer.Option(help=help_text("cli.help.host"))] = None,
    port: Annotated[int | None, typer.Option(help=help_text("cli.help.port"))] = None,
    workers_off: Annotated[
        bool, typer.Option("--no-worker", help=help_text("cli.help.serve.no_worker"))
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help=help_text("cli.help.serve.workers")),
    ] = None,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            envvar="INTEROP_LOG_FORMAT",
            help=help_text("cli.help.serve.log_format"),
        ),
    ] = "auto",
) -> None:
    """Start the API (embedded PostgreSQL unless DATABASE_URL is set; migrations applied)."""
    from interop import serving

    settings = Settings()
    if log_format not in LOG_FORMATS:
        raise fail("interop serve", text("cli.serve.log_format", choices=", ".join(LOG_FORMATS)), 2)
    configure_logging(settings.log_level, log_format)
    host = host or settings.host
    port = port or settings.port
    problem = _port_free(host, port)
    if problem:
        typer.echo(f"interop serve: {problem}", err=True)
        raise typer.Exit(2)
    with prepared("interop serve", settings, migrate_db=settings.migrate_on_start) as (url, server):
        watchdog = EmbeddedWatchdog(server, settings) if server is not None else None
        if server is not None:
            _check_durability(server, settings)
        settings.database_url = url
        # What the service says of itself (notification bundles' base URL) follows the options given.
        settings.host, settings.port = host, port
        if workers_off:
            settings.run_worker = False
        _warn_if_owner(url)
        auth_cli.bootstrap_admin(settings, url, host=host, port=port)
        url_shown = auth_cli.public_base(settings, host, port)
        listening = text("cli.serve.listening", url=url_shown, data_dir=settings.resolved_data_dir)
        typer.echo(listening, err=True)
        serving.run(settings, host=host, port=port, workers=workers or settings.workers, watchdog=watchdog)
    if watchdog is not None and watchdog.gave_up:
        typer.echo(f"interop serve: {watchdog.gave_up}", err=True)
        raise typer.Exit(3)


@app.command(help=help_text("cli.help.migrate"))
def migrate() -> None:
    """Apply the database migrations (to DATABASE_URL, or the embedded server) and exit."""
    settings = Settings()
    configure_logging(settings.log_level)
    with database("interop migrate", settings):
        pass
    typer.echo(text("cli.migrate.done", head=head_revision()))


@app.command("backup", help=help_text("cli.help.backup"))
def backup_command(out: Annotated[Path, typer.Option(help=help_text("cli.help.backup.out"))]) -> None:
    """Write a consistent backup of the database (embedded or DATABASE_URL)."""
    from interop.db.backup import BackupError, backup

    with database("interop backup", Settings(), migrate_db=False, as_owner=True) as url:
        try:
            backup(url, out)
        except BackupError as exc:
            raise fail("interop backup", str(exc)) from None
    typer.echo(text("cli.backup.done", path=out, size=out.stat().st_size))


@app.command("restore", help=help_text("cli.help.restore"))
def restore_command(
    dump: Annotated[Path, typer.Argument(help=help_text("cli.help.restore.dump"))],
) -> None:
    """Restore a backup into an empty database (a fresh data folder, or an empty DATABASE_URL)."""
    import asyncio

    from interop.db import roles
    from interop.db.backup import BackupError, restore

    with database("interop restore", Settings(), migrate_db=False, as_owner=True) as url:
        try:
            asyncio.run(roles.prepare_restore(url))
            restore(url, dump)
            asyncio.run(roles.finish_restore(url))
        except BackupError as exc:
            raise fail("interop restore", str(exc)) from None
    typer.echo(text("cli.restore.done"))


@app.command("openapi", help=help_text("cli.help.openapi"))
def openapi_command(
    out: Annotated[Path, typer.Option(help=help_text("cli.help.openapi.out"))] = Path("openapi"),
) -> None:
    """Write the OpenAPI documents (v1 JSON API and FHIR) into a folder."""
    from interop.openapi import documents

    out.mkdir(parents=True, exist_ok=True)
    for name, doc in documents().items():
        (out / name).write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        typer.echo(text("cli.file.written", path=out / name))


if __name__ == "__main__":
    app()
