"""``POST /fhir/Patient/$match`` timed end to end over HTTP: ``interop serve`` on 127.0.0.1 over the
bench's loaded data folder, a bearer token from the embedded issuer, one real HTTP client (httpx,
keep-alive, requests one after another), the same probes as the in-process figure."""

from __future__ import annotations

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


def time_http_match(env: dict[str, str], rows: list[dict[str, str]], warmup: int = 20) -> dict[str, Any]:
    """p50/p95/p99 of ``POST /fhir/Patient/$match`` (count 10) over loopback HTTP for each row."""
    client_name = f"bench-match-{int(time.time())}"
    _cli(["clients", "add", client_name, "--role", "bienestar"], env)
    token = _cli(["token", "--client", client_name], env).strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen(
        [INTEROP, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
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
            for i, r in enumerate(rows):
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
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    if not times:
        return {"probes": 0, "errors": errors}
    return {
        "probes": len(times),
        "errors": errors,
        "p50_ms": pct(times, 0.5),
        "p95_ms": pct(times, 0.95),
        "p99_ms": pct(times, 0.99),
        "max_ms": round(max(times), 2),
    }
