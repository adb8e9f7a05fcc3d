"""``interop audit verify|export|checkpoint`` against the test database, as an operator runs them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from click.testing import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from interop.audit import proofs, verify_proof
from interop.audit.signing import Signer
from interop.cli import app as cli_app
from interop.config import Settings

from .conftest import Tamper
from .factories import record_many


async def _interop(settings: Settings, *args: str) -> Result:
    """The real command, in a thread (it runs its own event loop, as from a shell)."""
    env = {"DATABASE_URL": str(settings.database_url), "INTEROP_DATA_DIR": str(settings.data_dir)}
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), env=env, catch_exceptions=False)


async def test_verify_passes_then_names_the_first_bad_entry(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, tamper: Tamper
) -> None:
    await record_many(sessionmaker, 6)
    assert (await _interop(settings, "audit", "checkpoint")).exit_code == 0
    ok = await _interop(settings, "audit", "verify", "--workers", "1")
    assert ok.exit_code == 0, ok.output
    # Six events and the command's own.
    assert "bitácora de auditoría íntegra: árbol de 7 hojas con 1 cabezas firmadas" in ok.stdout
    await tamper("DELETE FROM audit_event WHERE seq = 3")
    broken = await _interop(settings, "audit", "verify", "--workers", "1")
    assert broken.exit_code == 1
    assert "primera hoja mala 2: hoja 2: falta su evento seq 3" in broken.stdout


async def test_verify_with_a_foreign_public_key_fails_on_checkpoints(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, tmp_path: Path
) -> None:
    await record_many(sessionmaker, 2)
    signed = await _interop(settings, "audit", "checkpoint")
    assert signed.exit_code == 0, signed.output
    # Two events and the checkpoint command's own.
    assert "cabeza del árbol firmada: tamaño 3," in signed.stdout
    other = tmp_path / "other.pem"
    other.write_text(Signer.generate().verifier.public_pem())
    result = await _interop(settings, "audit", "verify", "--workers", "1", "--public-key", str(other))
    assert result.exit_code == 1
    assert "la firma no se verifica con la clave" in result.stdout
    mine = tmp_path / "mine.pem"
    mine.write_text(signer.verifier.public_pem())
    assert (await _interop(settings, "audit", "verify", "--public-key", str(mine))).exit_code == 0


async def test_export_writes_the_range_and_the_standalone_verifier_checks_it(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, tmp_path: Path
) -> None:
    await record_many(sessionmaker, 4)
    today = datetime.now(UTC).date()
    out = tmp_path / "export" / "audit.ndjson"
    result = await _interop(
        settings,
        "audit",
        "export",
        "--from",
        today.isoformat(),
        "--to",
        (today + timedelta(days=1)).isoformat(),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "4 hojas escritas" in result.stdout
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [line["kind"] for line in lines] == ["header", "entry", "entry", "entry", "entry", "head"]
    assert [line["record"]["client"] for line in lines[1:-1]] == ["clinic-a"] * 4
    assert lines[-1]["kid"] == signer.key_id
    keys = tmp_path / "keys.json"
    keys.write_bytes(orjson.dumps(proofs.keys(signer).model_dump()))
    assert verify_proof.main(["export", "--keys", str(keys), str(out)]) == 0
    altered = out.read_bytes().replace(b'"index":2,"leaf":"', b'"index":2,"leaf":"AAAA', 1)  # still base64
    (tmp_path / "altered.ndjson").write_bytes(altered)
    assert verify_proof.main(["export", "--keys", str(keys), str(tmp_path / "altered.ndjson")]) == 1


async def test_prove_writes_documents_the_standalone_verifier_accepts_then_check_consistency(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer, tmp_path: Path
) -> None:
    from interop.audit import verify_proof

    await record_many(sessionmaker, 4)
    proved = await _interop(settings, "audit", "prove", "AuditEvent/3", "--out", str(tmp_path))
    assert proved.exit_code == 0, proved.output
    assert "el evento 3 es la hoja 2 " in proved.stdout
    files = {name: str(tmp_path / f"{name}.json") for name in ("keys", "head", "entry", "proof")}
    argv = ["inclusion", "--keys", files["keys"], "--head", files["head"]]
    assert verify_proof.main([*argv, "--entry", files["entry"], "--proof", files["proof"]]) == 0

    await record_many(sessionmaker, 3)
    # an id of the seq-k form (another patient of one record) is proven by its record's leaf
    later = await _interop(settings, "audit", "prove", "7-1", "--out", str(tmp_path / "later"))
    assert later.exit_code == 0, later.output
    assert "el evento 7 es la hoja" in later.stdout
    ok = await _interop(settings, "audit", "check-consistency", files["head"])
    assert ok.exit_code == 0, ok.output
    assert "bitácora consistente" in ok.stdout
    # a head from a fork: another root for the same size (its signature no longer matches either)
    forged = orjson.loads((tmp_path / "head.json").read_bytes()) | {"root_hash": "A" * 43 + "="}
    (tmp_path / "forged.json").write_bytes(orjson.dumps(forged))
    bad = await _interop(settings, "audit", "check-consistency", str(tmp_path / "forged.json"))
    assert bad.exit_code == 1
    assert "NO es consistente" in bad.stdout
