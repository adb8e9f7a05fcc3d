"""``POST /fhir/Patient/$match`` timed end to end over HTTP: ``interop serve`` on 127.0.0.1 over the
bench's loaded data folder, a bearer token from the embedded issuer, one real HTTP client (httpx,
keep-alive, requests one after another), the same probes as the in-process figure.

Run on its own over a folder ``bench.py`` loaded (no import, match run or accuracy pass), e.g. to time
old and new code back to back:

    python bench/match/http_match.py --work /data/bm-1m --probes 500 [--in-process] [--role clinic]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

INTEROP = str(Path(sys.executable).with_name("interop"))
FATHERS = "http://hl7.org/fhir/StructureDefinition/humanname-fathers-family"
MOTHERS = "http://hl7.org/fhir/StructureDefinition/humanname-mothers-family"
GENDER = {"H": "male", "M": "female", "X": "other"}
CLINIC_UNIT = "DFIMB000001"  # a clinic's token for --role clinic: it reads only that unit's patients


def patient_of_row(r: dict[str, str]) -> dict[str, Any]:
    """A FHIR Patient as a clinic would send it, from a registry row as written (noise included)."""
    family_ext = [{"url": FATHERS, "valueString": r["primer_apellido"]}]
    if r.get("segundo_apellido"):
        family_ext.append({"url": MOTHERS, "valueString": r["segundo_apellido"]})
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [
            {
                "use": "official",
                "given": r["nombre"].split(),
                "family": " ".join(x for x in (r["primer_apellido"], r.get("segundo_apellido", "")) if x),
                "_family": {"extension": family_ext},
            }
        ],
    }
    if r.get("curp"):
        patient["identifier"] = [{"system": "https://www.gob.mx/curp", "value": r["curp"]}]
    if r.get("fecha_nacimiento"):
        patient["birthDate"] = r["fecha_nacimiento"]
    if r.get("sexo") in GENDER:
        patient["gender"] = GENDER[r["sexo"]]
    address = {
        k: v
        for k, v in (
            ("state", r.get("entidad")),
            ("district", r.get("municipio")),
            ("city", r.get("localidad")),
        )
        if v
    }
    if r.get("domicilio"):
        address["line"] = [r["domicilio"]]  # type: ignore[assignment]
    if address:
        patient["address"] = [address]
    if r.get("telefono"):
        patient["telecom"] = [{"system": "phone", "value": r["telefono"]}]
    return patient


def _cli(args: list[str], env: dict[str, str]) -> str:
    out = subprocess.run([INTEROP, *args], env=env, text=True, capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"interop {' '.join(args[:2])} failed: {out.stderr[-1500:]}")
    return out.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


def _cpu_s(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each live process in ``pids``."""
    import psutil

    out = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[pid] = t.user + t.system
    return out


def _postgres_pids(env: dict[str, str]) -> list[int]:
    """The embedded PostgreSQL's postmaster and its children (the backends serving the app)."""
    import psutil

    pid_file = Path(env["INTEROP_DATA_DIR"]) / "pgdata" / "postmaster.pid"
    try:
        master = psutil.Process(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, psutil.NoSuchProcess):
        return []
    return [master.pid, *(c.pid for c in master.children(recursive=True))]


class AutovacuumWatch:
    """Autovacuum workers of the embedded server seen during the timed calls (sampled every 0.5 s from
    the process titles): how many at most, in how many samples, and their CPU seconds as last seen — the
    server's CPU a call counts theirs too, and right after a batch they work the tables it wrote."""

    def __init__(self, env: dict[str, str]):
        import threading

        self.env, self.most, self.busy_samples, self.samples = env, 0, 0, 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _workers(self) -> list[int]:
        import psutil

        out = []
        for pid in _postgres_pids(self.env):
            try:
                if "autovacuum worker" in " ".join(psutil.Process(pid).cmdline()):
                    out.append(pid)
            except psutil.NoSuchProcess:
                continue
        return out

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            workers = self._workers()
            self.samples += 1
            self.busy_samples += bool(workers)
            self.most = max(self.most, len(workers))
            self.cpu.update(_cpu_s(workers))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def summary(self, calls: int) -> dict[str, Any]:
        return {
            "autovacuum_workers_most": self.most,
            "autovacuum_busy_samples": f"{self.busy_samples}/{self.samples}",
            "autovacuum_cpu_ms_per_call": round(1000 * sum(self.cpu.values()) / max(calls, 1), 3),
        }


def time_http_match(
    env: dict[str, str], rows: list[dict[str, str]], warmup: int = 20, role: str = "bienestar"
) -> dict[str, Any]:
    """p50/p95/p99 of ``POST /fhir/Patient/$match`` (count 10) over loopback HTTP for each row, as a
    client of ``role``, with the load average before and after (the machine is shared)."""
    client_name = f"bench-match-{int(time.time())}"
    _cli(
        [
            "clients",
            "add",
            client_name,
            "--role",
            role,
            *(["--clues", CLINIC_UNIT] if role == "clinic" else []),
        ],
        env,
    )
    token = _cli(["token", "--client", client_name], env).strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen(
        [INTEROP, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    times: list[float] = []
    errors = 0
    try:
        with httpx.Client(base_url=base, timeout=30.0) as http:
            for _ in range(600):
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("interop serve did not become ready")
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"}
            cpu_before: dict[int, float] = {}
            watch = AutovacuumWatch(env)
            for i, r in enumerate(rows):
                if i == warmup:  # the server's and PostgreSQL's CPU over the timed calls
                    cpu_before = _cpu_s([proc.pid, *_postgres_pids(env)])
                    watch.start()
                body = {
                    "resourceType": "Parameters",
                    "parameter": [
                        {"name": "resource", "resource": patient_of_row(r)},
                        {"name": "count", "valueInteger": 10},
                    ],
                }
                t0 = time.perf_counter()
                resp = http.post("/fhir/Patient/$match", json=body, headers=headers)
                dt = (time.perf_counter() - t0) * 1000
                if resp.status_code != 200:
                    errors += 1
                    continue
                if i >= warmup:
                    times.append(dt)
            cpu_after = _cpu_s([proc.pid, *_postgres_pids(env)])
            watch.stop()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    load_after = os.getloadavg()
    if not times:
        return {"probes": 0, "errors": errors}
    return {
        "role": role,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "probes": len(times),
        "errors": errors,
        "p50_ms": pct(times, 0.5),
        "p95_ms": pct(times, 0.95),
        "p99_ms": pct(times, 0.99),
        "max_ms": round(max(times), 2),
        # CPU per timed call: the app's process, and PostgreSQL's (postmaster and backends).
        "app_cpu_ms_per_call": round(
            1000 * (cpu_after.get(proc.pid, 0.0) - cpu_before.get(proc.pid, 0.0)) / len(times), 3
        ),
        "postgres_cpu_ms_per_call": round(
            1000
            * sum(t - cpu_before.get(pid, 0.0) for pid, t in cpu_after.items() if pid != proc.pid)
            / len(times),
            3,
        ),
        **watch.summary(len(times)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="A folder bench.py loaded (synth/, data/).")
    ap.add_argument("--probes", type=int, default=500)
    ap.add_argument("--role", default="bienestar", choices=("bienestar", "clinic", "reviewer", "admin"))
    ap.add_argument("--in-process", action="store_true", help="Also time match_online in process first.")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench import latency, probe_rows  # bench imports this module: import it only when run

    env = {**os.environ, "INTEROP_DATA_DIR": str(args.work / "data"), "INTEROP_LOG_LEVEL": "WARNING"}
    result: dict[str, Any] = {"work": str(args.work)}
    if args.in_process:
        load = os.getloadavg()
        result["match_latency"] = latency(env, args.work / "synth", args.probes)
        result["match_latency"].pop("reliability_match_candidates", None)
        result["match_latency"]["load_before"] = [round(x, 2) for x in load]
        result["match_latency"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["match_http"] = time_http_match(env, probe_rows(args.work / "synth", args.probes), role=args.role)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n")


if __name__ == "__main__":
    main()
