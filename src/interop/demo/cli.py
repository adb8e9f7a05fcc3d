"""``interop demo [--people N] [--no-serve]``: a small state end to end, a readable summary, then serving.

The service is the real one (``serving.run`` in this process, embedded PostgreSQL, job worker on); the
scenario runs in a thread beside it and talks to it over HTTP on the port it listens on. With
``--no-serve`` the thread stops the server when the summary is printed (exit 0), or on failure (exit 1).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer

from interop.api.logs import configure_logging
from interop.auth import cli as auth_cli
from interop.auth import service as auth_service
from interop.auth.tokens import KeyRing
from interop.command import fail
from interop.config import Settings
from interop.db.runtime import DatabaseUnavailable, open_database, prepare
from interop.demo import scenario
from interop.demo import summary as demo_summary
from interop.messages import help_text, text

LABEL = "interop demo"
TOKENS_FILE = "demo-tokens.json"
CLIENTS = {"admin": "demo-admin", "bienestar": "demo-bienestar", "auditor": "demo-auditor"}


_STARTED = [time.monotonic()]


def _say(line: str) -> None:
    """A step, with the seconds since the demo started; blank and summary lines as they are."""
    if line and not line.startswith(" "):
        line = f"[{time.monotonic() - _STARTED[0]:4.0f} s] {line}"
    typer.echo(line)


def _port_problem(host: str, port: int) -> str | None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return f"no se puede escuchar en {host}:{port} ({exc.strerror}); use --port"
    return None


async def _already_used(settings: Settings, url: str) -> bool:
    async with open_database(settings, url) as db, db.sessionmaker() as session:
        from sqlalchemy import text

        found = await session.execute(text("SELECT EXISTS (SELECT 1 FROM ingest_import)"))
        return bool(found.scalar())


async def _register(
    settings: Settings, url: str, keyring: KeyRing, names: dict[str, str], clues: list[str]
) -> dict[str, str]:
    """Register the demo's clients (role → name) and mint a token for each."""
    tokens: dict[str, str] = {}
    async with open_database(settings, url) as db, db.sessionmaker() as session:
        for role, name in names.items():
            client = await auth_service.get_client(session, name=name)
            if client is None:
                client, _ = await auth_service.create_client(
                    session, name=name, role=role, clues=clues if role == "clinic" else ()
                )
            issued = auth_service.issue_token(keyring, settings, client=client, requested_scope=None)
            tokens[role] = issued.access_token
        await session.commit()
    return tokens


def _write_tokens(path: Path, base: str, tokens: dict[str, str], names: dict[str, str], ttl_s: int) -> None:
    expires = (datetime.now(UTC) + timedelta(seconds=ttl_s)).isoformat(timespec="seconds")
    body = {
        "base_url": base,
        "urls": {
            "fhir": f"{base}/fhir/metadata",
            "v1": f"{base}/v1",
            "pages": f"{base}/app/login",
            "token": f"{base}/auth/token",
        },
        "tokens": {
            role: {"client": names[role], "access_token": token, "expires_at": expires}
            for role, token in tokens.items()
        },
        "new_token": "interop token --client NAME",
    }
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")


class _Run:
    def __init__(self, settings: Settings, url: str, base: str, people: int, seed: int, serve: bool) -> None:
        self.settings, self.url, self.base = settings, url, base
        self.people, self.seed, self.serve = people, seed, serve
        self.keyring = KeyRing.load_or_create(settings.resolved_data_dir / "keys")
        self.tokens: dict[str, str] = {}
        self.failed: str | None = None

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, timeout=120, headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the service did not become ready")

    def __call__(self) -> None:
        try:
            self._scenario()
        except Exception as exc:
            self.failed = f"{type(exc).__name__}: {exc}"
            typer.echo(f"{LABEL}: {text('cli.demo.failed', reason=self.failed)}", err=True)
        if self.failed or not self.serve:
            os.kill(os.getpid(), signal.SIGTERM)  # the server returns, the embedded PostgreSQL stops

    def _scenario(self) -> None:
        from interop.synth.generate import synthesize

        pop = self.settings.resolved_data_dir / "demo" / "population"
        _say(f"sintetizando {self.people} personas (semilla {self.seed}) en {pop}")
        synthesize(pop, people=self.people, seed=self.seed)
        self.tokens = asyncio.run(_register(self.settings, self.url, self.keyring, CLIENTS, []))
        self._wait_ready()
        outcome = scenario.Outcome()
        with self.client("admin") as admin:
            scenario.load(admin, pop, outcome, _say)
        with self.client("bienestar") as bienestar:
            scenario.visits(bienestar, pop, outcome, _say)
        case = scenario.the_case(outcome)
        if case is not None:
            clinic_name = f"demo-clinic-{case.body['unit']['clues'].lower()}"
            names = {"clinic": clinic_name}
            clues = [case.body["unit"]["clues"]]
            self.tokens.update(asyncio.run(_register(self.settings, self.url, self.keyring, names, clues)))
            with self.client("clinic") as clinic:
                scenario.work_the_case(clinic, case, outcome, _say)
        facts = demo_summary.Summary()
        asyncio.run(demo_summary.read_database(self.url, facts))
        with self.client("auditor") as auditor, self.client("bienestar") as bienestar:
            demo_summary.read_api(auditor, bienestar, outcome, facts)
        for line in demo_summary.lines(facts, outcome):
            _say(line)
        _say(f"  tiempo: {time.monotonic() - _STARTED[0]:.0f} s")
        if not self.serve:
            return
        names = {
            **CLIENTS,
            **({"clinic": f"demo-clinic-{facts.case_unit.lower()}"} if facts.case_unit else {}),
        }
        tokens_path = self.settings.resolved_data_dir / TOKENS_FILE
        _write_tokens(tokens_path, self.base, self.tokens, names, self.settings.auth_token_ttl_s)
        minutes = self.settings.auth_token_ttl_s // 60
        _say("")
        _say(f"El servicio sigue en {self.base} (Ctrl-C para detenerlo):")
        _say(f"  FHIR        {self.base}/fhir/metadata")
        _say(f"  API JSON    {self.base}/v1/visits/{facts.case_visit or 'DEMO-0001'}")
        _say(f"  páginas     {self.base}/app/login")
        _say(
            f"Tokens listos (válidos {minutes} min; renovar: interop token --client demo-admin) "
            f"en {tokens_path} (0600)"
        )


def command(
    people: Annotated[
        int, typer.Option("--people", min=50, max=20_000, help=help_text("cli.help.demo.people"))
    ] = 600,
    no_serve: Annotated[bool, typer.Option("--no-serve", help=help_text("cli.help.demo.no_serve"))] = False,
    host: Annotated[str | None, typer.Option(help=help_text("cli.help.host"))] = None,
    port: Annotated[int | None, typer.Option(help=help_text("cli.help.port"))] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help=help_text("cli.help.demo.seed"))] = 21,
) -> None:
    """A small state end to end on a fresh data folder (synthesise, import, match, visits, one case worked
    by a unit), a readable summary; then serves, unless --no-serve."""
    from interop import serving
    from interop.db.watchdog import EmbeddedWatchdog

    _STARTED[0] = time.monotonic()
    settings = Settings()
    configure_logging("WARNING" if settings.log_level.upper() == "INFO" else settings.log_level, "auto")
    host = host or settings.host
    port = port or settings.port
    problem = _port_problem(host, port)
    if problem:
        raise fail(LABEL, problem, 2)
    try:
        url, server = prepare(settings, migrate_db=True)
    except DatabaseUnavailable as exc:
        raise fail(LABEL, str(exc), 2) from None
    run: _Run | None = None
    try:
        if asyncio.run(_already_used(settings, url)):
            raise fail(
                LABEL,
                f"la carpeta de datos {settings.resolved_data_dir} ya tiene datos; la demostración necesita "
                "una nueva: INTEROP_DATA_DIR=/tmp/interop-demo interop demo (the data folder is not fresh)",
                2,
            )
        settings.database_url = url
        settings.host, settings.port = host, port
        settings.run_worker = True
        base = auth_cli.public_base(settings, host, port)
        run = _Run(settings, url, base, people, seed, serve=not no_serve)
        thread = threading.Thread(target=run, name="interop-demo", daemon=True)
        thread.start()
        watchdog = EmbeddedWatchdog(server, settings) if server is not None else None
        serving.run(settings, host=host, port=port, workers=1, watchdog=watchdog)
        thread.join(timeout=5)
    finally:
        if server is not None:
            server.stop()
    if run is None or run.failed or run.tokens == {}:
        raise typer.Exit(1)
