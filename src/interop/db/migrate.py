"""Run Alembic programmatically. The migrations live in the checkout's top-level ``migrations/``; the wheel
ships them inside the package as ``interop/migrations`` (pyproject's package-dir mapping), so an installed
``interop migrate`` finds them there."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

_PACKAGE = Path(__file__).resolve().parent.parent


def migrations_dir(package: Path) -> Path:
    """Where the migrations of the ``interop`` package at ``package`` are: inside it when installed from
    the wheel, else the checkout's top-level ``migrations/`` (``src/interop`` → ``migrations``)."""
    installed = package / "migrations"
    if (installed / "env.py").is_file():
        return installed
    return package.parent.parent / "migrations"


MIGRATIONS_DIR = migrations_dir(_PACKAGE)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``. Blocking; call from a thread inside an event loop."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("postgresql+asyncpg://")).get_current_head()
    assert head is not None
    return head


async def current_revision(connection: AsyncConnection) -> str | None:
    def _read(sync_conn: object) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()  # type: ignore[arg-type]

    return await connection.run_sync(_read)
