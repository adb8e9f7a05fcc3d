"""The migrations live at the top level of the checkout (``migrations/``, with ``alembic.ini``) and still ship
inside the wheel, so an installed ``interop migrate`` finds them (issue 15, item 7)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from interop.db.migrate import MIGRATIONS_DIR, head_revision, migrations_dir

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_the_top_level_migrations_and_an_install_its_own(tmp_path: Path) -> None:
    assert MIGRATIONS_DIR == ROOT / "migrations"
    assert (ROOT / "alembic.ini").is_file()
    installed = tmp_path / "site-packages" / "interop"
    (installed / "migrations").mkdir(parents=True)
    assert migrations_dir(installed) == tmp_path / "migrations"  # no env.py: not an installed copy
    (installed / "migrations" / "env.py").write_text("")
    assert migrations_dir(installed) == installed / "migrations"


@pytest.mark.slow
def test_the_wheel_ships_the_migrations_and_finds_them_installed(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("interop-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("interop/migrations/versions/")}
    in_checkout = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert shipped == in_checkout
    assert {"interop/migrations/env.py", "interop/migrations/script.py.mako"} <= names
    # The installed package, alone on the path (no checkout beside it), finds its migrations and their head.
    probe = "from interop.db import migrate; print(migrate.MIGRATIONS_DIR); print(migrate.head_revision())"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    ).stdout.split()
    assert out == [str(tmp_path / "site" / "interop" / "migrations"), head_revision()]
