"""Faults an operator can inflict on a real `interop serve` (embedded PostgreSQL) under load, with what it
cost: time until `/readyz` is 200 again, requests refused meanwhile, acknowledged writes lost.

    python bench/faults/run.py                       # all three faults
    python bench/faults/run.py --fault postmaster --seconds 20 --workers 2

Faults:
- ``postmaster``: kill -9 of the embedded PostgreSQL while visits are posted and a roll import runs; the
  service must heal by itself, lose no acknowledged visit, and finish the import.
- ``supervisor``: kill -9 of `interop serve` itself; this script then does what a process manager does
  (starts it again on the same data folder) and measures the same.
- ``disk``: the data folder on a size-limited tmpfs (needs root to mount; skipped otherwise) that fills up
  under load; then the operator frees space and starts the service again.

Every visit that got a 2xx is read back at the end; ``lost`` counts those that are not there. Each run
uses its own data folder under /tmp and a free loopback port, and stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness import INTEROP, free_port

HERE = Path(__file__).resolve().parent
UNITS_CSV = (
    "clues,nombre,entidad,municipio,localidad,nivel,latitud,longitud,estatus\n"
    "DFIMB000001,CENTRO DE SALUD CENTRO,DF,CUAUHTEMOC,CENTRO,1,19.4326,-99.1332,EN OPERACION\n"
    "DFIMB000002,HOSPITAL GENERAL,DF,CUAUHTEMOC,CENTRO,2,19.4400,-99.1400,EN OPERACION\n"
)


def visit(visit_id: str) -> dict[str, Any]:
    return {
        "visit_id": visit_id,
        "visit_date": "2026-11-20",
        "health_worker_id": "PROM-0042",
        "person": {
            "nombre": "ROSA MARIA",
            "primer_apellido": "PEREZ",
            "segundo_apellido": "LOPEZ",
            "fecha_nacimiento": "1950-03-14",
            "sexo": "M",
            "entidad": "DF",
            "municipio": "CUAUHTEMOC",
            "localidad": "CENTRO",
            "latitud": 19.4326,
            "longitud": -99.1332,
        },
        "urgency": "routine",
        "findings": {"conditions": [{"code": "E11.9"}]},
        "note": "fault kit " + "x" * 200,
    }


class Service:
    """One `interop serve` on a data folder; start it again on the same folder with ``start``."""

    def __init__(self, root: Path, data: Path, workers: int, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.data = data
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INTEROP_DATABASE_URL")}
        self.env.update({"INTEROP_DATA_DIR": str(data), "INTEROP_LOG_LEVEL": "WARNING", **(env or {})})
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.root / f"serve-{self.starts}.log"

    def cli(self, *args: str) -> None:
        subprocess.run([INTEROP, *args], env=self.env, check=True, capture_output=True, timeout=600)

    def start(self) -> None:
        self.starts += 1
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                [INTEROP, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 180) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.log.read_text()[-1500:]}")
            if self.ready():
                return time.monotonic() - t0
            time.sleep(0.1)
        raise RuntimeError("not ready in time")

    def token(self) -> str:
        text = (self.root / "serve-1.log").read_text()
        secret = re.search(r"shown only this once:\n\s+(\S+)\n", text)
        assert secret, text[-1500:]
        issued = httpx.post(
            f"{self.base}/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("admin", secret.group(1)),
            timeout=10,
        )
        issued.raise_for_status()
        return str(issued.json()["access_token"])

    def postmaster(self) -> int | None:
        try:
            return int((self.data / "pgdata" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        pid = self.postmaster()
        if pid is not None:  # orphaned by a killed supervisor: stop it fast
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGQUIT)
            time.sleep(1)


@dataclass
class Load:
    """Visits posted back to back by ``concurrency`` clients; every answer counted."""

    base: str
    token: str
    tag: str
    concurrency: int = 4
    acked: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        counter = iter(range(10**9))
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=15) as http:

            async def client() -> None:
                while not self.stop.is_set():
                    visit_id = f"{self.tag}-{next(counter):07d}"
                    try:
                        r = await http.post("/v1/visits", json=visit(visit_id))
                        key = str(r.status_code)
                    except httpx.HTTPError as exc:
                        key = type(exc).__name__
                    self.statuses[key] = self.statuses.get(key, 0) + 1
                    if key.startswith("2"):
                        self.acked[visit_id] = time.monotonic()
                    else:
                        await asyncio.sleep(0.1)

            await asyncio.gather(*(client() for _ in range(self.concurrency)))


async def lost_visits(base: str, token: str, ids: list[str]) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    lost = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        for start in range(0, len(ids), 50):
            batch = ids[start : start + 50]
            answers = await asyncio.gather(*(http.get(f"/v1/visits/{v}") for v in batch))
            lost += [v for v, r in zip(batch, answers, strict=True) if r.status_code != 200]
    return lost


async def wait_until(condition: Any, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if await asyncio.to_thread(condition):
            return time.monotonic() - t0
        await asyncio.sleep(0.1)
    raise RuntimeError("condition not met in time")


def roll_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("record_id,nombre,primer_apellido,segundo_apellido,fecha_nacimiento,sexo,entidad\n")
        for i in range(rows):
            out.write(f"R{i:08d},NOMBRE{i % 997},APELLIDO{i % 991},SEGUNDO{i % 983},1950-01-01,M,DF\n")
    return path


KEEP = bool(os.environ.get("FAULTS_KEEP"))  # keep each run's folder (logs, data) to look into it


@contextlib.contextmanager
def workspace(name: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=f"interop-fault-{name}-"))
    try:
        yield root
    finally:
        if KEEP:
            print(f"kept {root}", flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)


async def fault_postmaster(args: argparse.Namespace) -> dict[str, Any]:
    """kill -9 of the embedded postmaster under load, with an import running."""
    with workspace("postmaster") as root:
        service = Service(root, root / "data", args.workers, {"INTEROP_IMPORT_CHUNK_ROWS": "5000"})
        try:
            (root / "units.csv").write_text(UNITS_CSV)
            service.cli("import", "units", str(root / "units.csv"))
            service.start()
            service.wait_ready()
            token = service.token()
            load = Load(service.base, token, "PM")
            runner = asyncio.create_task(load.run())
            roll = roll_csv(root / "roll.csv", args.import_rows)
            headers = {"Authorization": f"Bearer {token}", "content-type": "text/csv"}
            started = httpx.post(
                f"{service.base}/v1/imports",
                params={"kind": "roll"},
                content=roll.read_bytes(),
                headers=headers,
                timeout=120,
            )
            started.raise_for_status()
            import_id = started.json()["id"]
            await asyncio.sleep(args.seconds / 2)
            victim = service.postmaster()
            assert victim is not None
            os.kill(victim, signal.SIGKILL)
            killed = time.monotonic()
            acked_before = sum(1 for at in load.acked.values() if at < killed)
            await wait_until(lambda: not service.ready(), 10)
            await wait_until(service.ready, 120)
            recovery = time.monotonic() - killed
            await asyncio.sleep(args.seconds / 2)
            load.stop.set()
            await runner
            first_after = min((at for at in load.acked.values() if at > killed), default=None)
            imp: dict[str, Any] = {}
            for _ in range(args.import_wait_s * 2):
                imp = httpx.get(
                    f"{service.base}/v1/imports/{import_id}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                ).json()
                if imp["state"] in ("succeeded", "failed", "refused"):
                    break
                await asyncio.sleep(0.5)
            lost = await lost_visits(service.base, token, list(load.acked))
            log = service.log.read_text(errors="replace")
            return {
                "fault": "postmaster",
                "workers": args.workers,
                "ready_again_s": round(recovery, 2),
                "first_post_acknowledged_after_kill_s": (
                    round(first_after - killed, 2) if first_after else None
                ),
                "acknowledged_before_kill": acked_before,
                "acknowledged": len(load.acked),
                "lost": len(lost),
                "statuses": load.statuses,
                "import": {
                    "state": imp.get("state"),
                    "rows": imp.get("counts", {}).get("rows"),
                    "stored": imp.get("counts", {}).get("stored"),
                    "expected_rows": args.import_rows,
                },
                "log_lines_warning_or_error": sum(
                    1 for line in log.splitlines() if '"level":"warning"' in line or '"level":"error"' in line
                ),
            }
        finally:
            service.stop()


async def fault_supervisor(args: argparse.Namespace) -> dict[str, Any]:
    """kill -9 of `interop serve`; then started again at once, as a process manager would."""
    with workspace("supervisor") as root:
        service = Service(root, root / "data", args.workers)
        try:
            (root / "units.csv").write_text(UNITS_CSV)
            service.cli("import", "units", str(root / "units.csv"))
            service.start()
            service.wait_ready()
            token = service.token()
            load = Load(service.base, token, "SV")
            runner = asyncio.create_task(load.run())
            await asyncio.sleep(args.seconds / 2)
            assert service.proc is not None
            orphan = service.postmaster()
            service.proc.kill()
            service.proc.wait()
            killed = time.monotonic()
            acked_before = sum(1 for at in load.acked.values() if at < killed)
            service.start()  # the process manager's part
            await wait_until(service.ready, 180)
            recovery = time.monotonic() - killed
            await asyncio.sleep(args.seconds / 2)
            load.stop.set()
            await runner
            lost = await lost_visits(service.base, token, list(load.acked))
            return {
                "fault": "supervisor",
                "workers": args.workers,
                "ready_again_s": round(recovery, 2),
                "postmaster_reused": service.postmaster() == orphan,
                "acknowledged_before_kill": acked_before,
                "acknowledged": len(load.acked),
                "lost": len(lost),
                "statuses": load.statuses,
            }
        finally:
            service.stop()


async def fault_disk(args: argparse.Namespace) -> dict[str, Any]:
    """The data folder's disk fills up under load; the operator frees space and starts the service again."""
    with workspace("disk") as root:
        mount = root / "small"
        mount.mkdir()
        try:
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={args.disk_mb}m", "tmpfs", str(mount)],
                check=True,
                capture_output=True,
            )
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            return {"fault": "disk", "skipped": f"cannot mount a size-limited tmpfs (needs root): {exc}"}
        service = Service(root, mount / "data", args.workers)
        filler = mount / "filler"
        try:
            (root / "units.csv").write_text(UNITS_CSV)
            service.cli("import", "units", str(root / "units.csv"))
            service.start()
            service.wait_ready()
            token = service.token()
            # Leave a few MB: enough to answer, not enough for long.
            free = shutil.disk_usage(mount).free
            subprocess.run(
                ["fallocate", "-l", str(max(free - args.leave_mb * 2**20, 0)), str(filler)], check=True
            )
            load = Load(service.base, token, "DK")
            runner = asyncio.create_task(load.run())
            full_at = None
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.seconds * 3:
                await asyncio.sleep(0.5)
                if shutil.disk_usage(mount).free < 2**20 and full_at is None:
                    full_at = time.monotonic()
                if service.proc is not None and service.proc.poll() is not None:
                    break
                if full_at is not None and time.monotonic() - full_at > args.seconds:
                    break
            load.stop.set()
            await runner
            exit_code = service.proc.poll() if service.proc is not None else None
            last_line = service.log.read_text(errors="replace").strip().splitlines()[-1:]
            ready_while_full = service.ready()
            acked_while_running = len(load.acked)
            # The operator's part: free space, start the service again if it stopped.
            filler.unlink()
            freed = time.monotonic()
            if exit_code is not None:
                service.start()
            service.wait_ready()
            recovery = time.monotonic() - freed
            lost = await lost_visits(service.base, token, list(load.acked))
            return {
                "fault": "disk",
                "disk_mb": args.disk_mb,
                "filled_after_s": round(full_at - t0, 2) if full_at else None,
                "serve_exit_code": exit_code,
                "serve_last_line": last_line[0][:300] if last_line and exit_code is not None else None,
                "ready_while_full": ready_while_full,
                "ready_again_after_freeing_s": round(recovery, 2),
                "acknowledged": acked_while_running,
                "lost": len(lost),
                "statuses": load.statuses,
            }
        finally:
            service.stop()
            subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)


FAULTS = {"postmaster": fault_postmaster, "supervisor": fault_supervisor, "disk": fault_disk}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fault", choices=[*FAULTS, "all"], default="all")
    parser.add_argument("--seconds", type=float, default=20, help="load before and after the fault")
    parser.add_argument("--workers", type=int, default=1, help="API processes of interop serve")
    parser.add_argument("--import-rows", type=int, default=200_000, help="roll import running at the kill")
    parser.add_argument("--import-wait-s", type=int, default=300, help="how long to wait for the import")
    parser.add_argument("--disk-mb", type=int, default=400, help="size of the tmpfs for the disk fault")
    parser.add_argument("--leave-mb", type=int, default=24, help="free space left before the load starts")
    parser.add_argument("--out", type=Path, default=HERE / "last_run.json")
    args = parser.parse_args()
    names = list(FAULTS) if args.fault == "all" else [args.fault]
    results = []
    for name in names:
        print(f"fault {name} …", flush=True)
        result = asyncio.run(FAULTS[name](args))
        print(json.dumps(result, indent=2), flush=True)
        results.append(result)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
