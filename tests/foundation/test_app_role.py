"""The application's database role (issue 14, item 14): a LOGIN member of ``interop_app``, not the owner.

As the application's connection the audit trail's trigger cannot be dropped or disabled and the trail
cannot be changed; everything else the service does works (tables created later included); the embedded
default creates that role and keeps its password in a ``0600`` file."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from interop.config import Settings

TAMPERING = [
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_append_only",
    "DROP FUNCTION audit_append_only() CASCADE",
    "UPDATE audit_event SET client_id = 'x'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "UPDATE audit_checkpoint SET seq = 0",
    "DELETE FROM alembic_version",
    "UPDATE audit_leaf SET seq = 0",
    "DELETE FROM audit_node",
    "TRUNCATE audit_head",
    "SET session_replication_role = replica",
]


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("+asyncpg", ""))


@pytest.mark.parametrize("statement", TAMPERING)
async def test_the_applications_connection_cannot_touch_the_audit_trail(
    database_url: str, statement: str
) -> None:
    conn = await _connect(database_url)
    try:
        assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
    finally:
        await conn.close()


async def test_the_applications_role_has_what_it_needs_on_every_table(
    database_url: str, owner_database_url: str
) -> None:
    conn = await _connect(database_url)
    try:
        missing = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
            "AND c.relname NOT IN ('audit_event', 'audit_checkpoint', 'audit_leaf', 'audit_node', "
            "'audit_head', 'audit_event_patient', 'audit_intake', 'alembic_version') "
            "AND NOT has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE')"
        )
        assert [r["relname"] for r in missing] == []
        for table in (
            "audit_event",
            "audit_checkpoint",
            "audit_leaf",
            "audit_node",
            "audit_head",
            "audit_event_patient",
            "audit_intake",
        ):
            assert await conn.fetchval("SELECT has_table_privilege($1, 'SELECT, INSERT')", table)
            assert not await conn.fetchval("SELECT has_table_privilege($1, 'UPDATE')", table), table
            assert not await conn.fetchval("SELECT has_table_privilege($1, 'DELETE')", table), table
    finally:
        await conn.close()
    # A table the owner creates later (a future migration) is usable by the application at once.
    owner = await _connect(owner_database_url)
    try:
        await owner.execute("CREATE TABLE later_table (id bigint GENERATED ALWAYS AS IDENTITY, v text)")
    finally:
        await owner.close()
    conn = await _connect(database_url)
    try:
        await conn.execute("INSERT INTO later_table (v) VALUES ('x')")
        assert await conn.fetchval("SELECT count(*) FROM later_table") == 1
    finally:
        await conn.close()


def test_the_embedded_default_connects_as_its_own_login_role(tmp_path: Path) -> None:
    from interop.db.runtime import prepare

    settings = Settings(data_dir=tmp_path / "data")
    url, server = prepare(settings)
    assert server is not None
    try:
        assert "//postgres@" not in url
        password_file = settings.resolved_data_dir / "db-app-password"
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert password_file.read_text().strip() in url

        async def check() -> dict[str, Any]:
            conn = await _connect(url)
            try:
                found = dict(
                    await conn.fetchrow(
                        "SELECT current_user AS who, rolsuper, pg_has_role(current_user, 'interop_app', "
                        "'MEMBER') AS member FROM pg_roles WHERE rolname = current_user"
                    )
                )
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
                return found
            finally:
                await conn.close()

        found = asyncio.run(check())
        assert found == {"who": "interop_service", "rolsuper": False, "member": True}
        # A second start reuses the role and the password file.
        again, second = prepare(settings, migrate_db=False)
        assert again == url
        assert second is not None
        owner, _ = prepare(settings, migrate_db=False, as_owner=True)
        assert "//postgres@" in owner
    finally:
        server.stop()
