"""The role the application connects as: a LOGIN role that is a member of ``interop_app``, never the owner.

The owner (the migrating user; ``postgres`` in the embedded server) creates the tables and the audit
trail's append-only trigger. ``interop_app`` holds what the service needs (migration
``0009_app_role_grants``: data rights on every table, only SELECT and INSERT on the audit tables, default
privileges for tables created later), so a connection of the application can neither alter nor disable
the trigger, nor update or delete the trail. The embedded default creates the login role
``interop_service`` on start and keeps its password in ``data_dir/db-app-password`` (``0600``); each start
sets the role's password to that file's content, so deleting the file and restarting rotates it.
With DATABASE_URL the operator creates the login role (docs/security.md) and, when
migrations need the owner, names it in ``INTEROP_DATABASE_OWNER_URL``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

APP_GROUP = "interop_app"
EMBEDDED_LOGIN = "interop_service"
PASSWORD_FILE = "db-app-password"  # noqa: S105 - a file name, not a secret


def load_or_create_password(data_dir: Path) -> str:
    """The login role's password, created once as a ``0600`` file in the data folder."""
    path = data_dir / PASSWORD_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        value = path.read_text().strip()
        if value:
            return value
        path.unlink()
        return load_or_create_password(data_dir)
    password = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return password


def with_user(url: str, user: str, password: str) -> str:
    """``url`` with its user and password replaced (host, database and query kept)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


async def ensure_login_role(owner_url: str, *, name: str, password: str) -> None:
    """Create (or update the password of) a LOGIN role that is a member of ``interop_app`` and nothing
    more: not a superuser, no CREATEROLE, no CREATEDB. Idempotent; needs a role that may create roles."""
    conn = await asyncpg.connect(owner_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        async with conn.transaction():
            # Roles are shared by the whole cluster: two starts at once must not both create them.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('interop.db.roles'))")
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_GROUP):
                await conn.execute(f"CREATE ROLE {APP_GROUP} NOLOGIN")
            verb = (
                "ALTER"
                if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
                else "CREATE"
            )
            statement = await conn.fetchval(
                f"SELECT format('{verb} ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOREPLICATION NOBYPASSRLS PASSWORD %L', $1::text, $2::text)",
                name,
                password,
            )
            await conn.execute(statement)
            await conn.execute(f'GRANT {APP_GROUP} TO "{name}"')
    finally:
        await conn.close()


# Tables the application alters (a batch matching run rebuilds their indexes): owned by interop_app.
APP_OWNED_TABLES = ("match_record", "match_record_detail", "match_link")


async def prepare_restore(owner_url: str) -> None:
    """Before ``pg_restore``: the dump grants rights to ``interop_app``, which a fresh cluster lacks."""
    conn = await asyncpg.connect(owner_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_GROUP):
            await conn.execute(f"CREATE ROLE {APP_GROUP} NOLOGIN")
    finally:
        await conn.close()


async def finish_restore(owner_url: str) -> None:
    """After ``pg_restore --no-owner``: the restoring user owns every table; give back the ones the
    application alters (as migration ``0009_app_role_grants`` did)."""
    conn = await asyncpg.connect(owner_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        for table in APP_OWNED_TABLES:
            if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
                await conn.execute(f"ALTER TABLE {table} OWNER TO {APP_GROUP}")
                # A partitioned table's partitions too (0021: a run re-adds the detail's foreign key).
                for (partition,) in await conn.fetch(
                    "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = $1::regclass", table
                ):
                    await conn.execute(f"ALTER TABLE {partition} OWNER TO {APP_GROUP}")
    finally:
        await conn.close()


async def embedded_app_url(owner_url: str, data_dir: Path) -> str:
    """The URL the application uses on the embedded server: its login role, created on first start."""
    password = load_or_create_password(data_dir)
    await ensure_login_role(owner_url, name=EMBEDDED_LOGIN, password=password)
    return with_user(owner_url, EMBEDDED_LOGIN, password)


async def may_tamper_with_audit(url: str) -> bool:
    """Whether a connection on ``url`` could disable the audit trigger: a superuser, or a member of the
    audit table's owner. The service warns at start when it can."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        found = await conn.fetchval(
            "SELECT rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE') "
            "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.relname = 'audit_event' "
            "AND c.relkind = 'r'"
        )
        return bool(found)
    finally:
        await conn.close()
