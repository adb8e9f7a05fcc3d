"""Rest-hook Subscriptions against a hostile client (issue 14, items 4–6): private and metadata addresses,
DNS rebinding, client-chosen headers, what a failure tells the client, signed notifications, a cap per
client, revoked clients, audit of create and delete.

Network: deliveries go only to receivers these tests start on 127.0.0.1; every other name is answered by a
stub in place of ``socket.getaddrinfo`` (it refuses any name it does not know, so nothing reaches DNS).
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from tests.referral.factories import add_unit, visit_body

from interop.api.metrics import REGISTRY
from interop.audit import service as audit_service
from interop.audit.schemas import AuditSearch
from interop.auth import service as auth_service
from interop.job.worker import Worker

Headers = Callable[..., dict[str, str]]
A = "DFIMB000001"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
SECRET_URL = "https://www.gob.mx/bienestar/fhir/StructureDefinition/subscription-signing-secret"
STUB_NAME = "hook.clinica.test"


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.port = 0

    async def hook(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.headers.append(dict(request.headers))
        return web.Response(status=self.status)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hook"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield rec
    await runner.cleanup()


class StubDns:
    """``socket.getaddrinfo`` for one made-up name: the answers are given in turn (the last repeats);
    addresses pass through, any other name fails as an unknown one would."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.lookups = 0
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.rstrip(".").lower() == STUB_NAME:
            answer = self.answers[min(self.lookups, len(self.answers) - 1)]
            self.lookups += 1
            return self.real(answer, port, *args, **kwargs)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name)
        except OSError:
            if name != "localhost":
                raise socket.gaierror(socket.EAI_NONAME, "stub resolver: unknown name") from None
        return self.real(host, port, *args, **kwargs)


@pytest.fixture
def stub_dns(monkeypatch: pytest.MonkeyPatch) -> StubDns:
    stub = StubDns(["127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", stub)
    return stub


def _subscription(
    endpoint: str, *, headers: list[str] | None = None, secret: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Referrals for my unit",
        "criteria": "https://www.gob.mx/bienestar/fhir/SubscriptionTopic/referral-task",
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": "application/fhir+json",
            "header": headers if headers is not None else ["Authorization: Bearer clinic-secret"],
            "_payload": {
                "extension": [{"url": f"{BACKPORT}backport-payload-content", "valueCode": "id-only"}]
            },
        },
    }
    if secret is not None:
        body["extension"] = [{"url": SECRET_URL, "valueString": secret}]
    return body


async def _run_ready(app: FastAPI) -> int:
    """Run every job that is due now (first attempts); how many ran."""
    worker = Worker(app.state.settings, app.state.sessionmaker)
    ran = 0
    while await worker.run_one():
        ran += 1
    return ran


def _secret_of(resource: dict[str, Any]) -> str | None:
    return next((e["valueString"] for e in resource.get("extension", []) if e["url"] == SECRET_URL), None)


# Item 4: server-side request forgery ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:8080/hook",
        "http://127.1/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.10/hook",
        "http://100.64.0.1/hook",
        "http://[fd12:3456::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.7]/hook",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://localhost:8080/hook",
    ],
)
async def test_loopback_private_and_metadata_endpoints_are_refused_by_default(
    client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, endpoint: str
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    r = await client.post(
        "/fhir/Subscription", json=_subscription(endpoint), headers=auth_headers("clinic", clues=[A])
    )
    assert r.status_code == 422, r.text
    assert r.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
async def test_metadata_addresses_stay_refused_when_the_operator_allows_private_ones(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, endpoint: str
) -> None:
    app.state.settings.subscription_allow_private = True
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    r = await client.post(
        "/fhir/Subscription", json=_subscription(endpoint), headers=auth_headers("clinic", clues=[A])
    )
    assert r.status_code == 422, r.text
    assert "metadatos" in r.json()["issue"][0]["diagnostics"]


async def test_delivery_connects_to_the_address_it_checked_once_with_the_name_as_host(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    receiver: Receiver,
    stub_dns: StubDns,
) -> None:
    """The first answer is the receiver; any second lookup (a DNS rebinding) would get 127.0.0.2, where
    nothing listens: the event arrives only if the delivery used the address it checked."""
    app.state.settings.subscription_allow_private = True
    stub_dns.answers = ["127.0.0.1", "127.0.0.2"]
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    created = await client.post("/fhir/Subscription", json=_subscription(receiver.url(STUB_NAME)), headers=ha)
    assert created.status_code == 201, created.text
    await client.post("/v1/visits", json=visit_body("S-dns"), headers=auth_headers("bienestar"))
    assert await _run_ready(app) == 1
    assert len(receiver.bodies) == 1
    assert stub_dns.lookups == 1
    assert receiver.headers[0]["Host"] == f"{STUB_NAME}:{receiver.port}"
    assert (await client.get(f"/fhir/Subscription/{created.json()['id']}", headers=ha)).json()[
        "status"
    ] == "active"


async def test_a_name_that_resolves_to_a_private_address_is_not_delivered_to_by_default(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    receiver: Receiver,
    stub_dns: StubDns,
) -> None:
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    created = await client.post("/fhir/Subscription", json=_subscription(receiver.url(STUB_NAME)), headers=ha)
    assert created.status_code == 201  # a name is not looked up at creation: that would be a DNS oracle
    await client.post("/v1/visits", json=visit_body("S-private"), headers=auth_headers("bienestar"))
    assert await _run_ready(app) == 1
    assert receiver.bodies == []
    after = (await client.get(f"/fhir/Subscription/{created.json()['id']}", headers=ha)).json()
    assert after["status"] == "error"
    assert after["error"] == "evento 1: no se pudo entregar la notificación; se reintentará"


@pytest.mark.parametrize(
    "header",
    [
        "Host: intranet.salud.gob.mx",
        "host:x",
        "Connection: close",
        "Transfer-Encoding: chunked",
        "Content-Length: 0",
        "X-Forwarded-For: 10.0.0.1",
        "Proxy-Authorization: Basic eA==",
        "webhook-signature: v1,forged",
        "X-Ok: a\r\nHost: evil",
        "No colon here",
        "Bad Name: x",
    ],
)
async def test_hop_by_hop_host_and_malformed_headers_are_refused(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, header: str
) -> None:
    app.state.settings.subscription_allow_private = True
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    r = await client.post(
        "/fhir/Subscription",
        json=_subscription("http://127.0.0.1:9/hook", headers=["Authorization: Bearer x", header]),
        headers=auth_headers("clinic", clues=[A]),
    )
    assert r.status_code == 422, r.text
    assert "channel.header[1]" in r.json()["issue"][0]["diagnostics"]


async def test_the_client_sees_one_generic_failure_and_the_operator_the_reason(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    """A refused connection and an HTTP 503 look the same to the client (no port scanner); the metric
    counts each by its reason."""
    app.state.settings.subscription_allow_private = True
    receiver.status = 503
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    answering = (
        await client.post("/fhir/Subscription", json=_subscription(receiver.url()), headers=ha)
    ).json()
    silent = (
        await client.post(
            "/fhir/Subscription", json=_subscription(f"http://127.0.0.1:{closed}/hook"), headers=ha
        )
    ).json()

    def failures(reason: str) -> float:
        return (
            REGISTRY.get_sample_value("interop_subscription_delivery_failures_total", {"reason": reason})
            or 0.0
        )

    before = failures("status"), failures("connect")
    await client.post("/v1/visits", json=visit_body("S-scan"), headers=auth_headers("bienestar"))
    assert await _run_ready(app) == 2
    errors = {
        (await client.get(f"/fhir/Subscription/{s['id']}", headers=ha)).json()["error"]
        for s in (answering, silent)
    }
    assert errors == {"evento 1: no se pudo entregar la notificación; se reintentará"}
    assert (failures("status"), failures("connect")) == (before[0] + 1, before[1] + 1)


# Item 5: signed notifications -----------------------------------------------------------------------------


async def test_notifications_carry_a_signature_the_clinic_can_verify(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    from interop.referral import signature  # here, so the other tests run on code without it

    app.state.settings.subscription_allow_private = True
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    made = (await client.post("/fhir/Subscription", json=_subscription(receiver.url()), headers=ha)).json()
    secret = _secret_of(made)
    assert secret is not None
    assert secret.startswith("whsec_")
    assert _secret_of((await client.get(f"/fhir/Subscription/{made['id']}", headers=ha)).json()) is None
    listed = (await client.get("/fhir/Subscription", headers=ha)).json()
    assert secret not in str(listed)
    own = signature.new_secret()
    chosen = (
        await client.post("/fhir/Subscription", json=_subscription(receiver.url(), secret=own), headers=ha)
    ).json()
    assert _secret_of(chosen) == own
    bad = await client.post(
        "/fhir/Subscription", json=_subscription(receiver.url(), secret="hunter2"), headers=ha
    )
    assert bad.status_code == 422

    await client.post("/v1/visits", json=visit_body("S-sign"), headers=auth_headers("bienestar"))
    assert await _run_ready(app) == 2
    now = int(time.time())
    by_sub = {}
    for body, headers in zip(receiver.bodies, receiver.headers, strict=True):
        assert headers["webhook-id"].endswith(".1")
        by_sub[headers["webhook-id"].split(".")[0]] = (body, headers)
    body, headers = by_sub[made["id"]]
    assert signature.verify(secret, headers=headers, body=body, now=now)
    assert not signature.verify(own, headers=headers, body=body, now=now)  # another subscription's secret
    assert not signature.verify(secret, headers=headers, body=body + b" ", now=now)  # altered body
    assert not signature.verify(secret, headers=headers, body=body, now=now + 3600)  # replayed an hour later
    body, headers = by_sub[chosen["id"]]
    assert signature.verify(own, headers=headers, body=body, now=now)


# Item 6: cap, revocation, audit ---------------------------------------------------------------------------


async def test_subscriptions_per_client_are_capped(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    app.state.settings.subscription_allow_private = True
    app.state.settings.subscription_max_per_client = 2
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    made = [
        await client.post("/fhir/Subscription", json=_subscription(f"http://127.0.0.1:9/h{i}"), headers=ha)
        for i in range(3)
    ]
    assert [r.status_code for r in made] == [201, 201, 422]
    assert "máximo es 2" in made[2].json()["issue"][0]["diagnostics"]
    other = auth_headers("clinic", clues=[A], client_id="otra-clinica")  # the cap is per client
    assert (
        await client.post("/fhir/Subscription", json=_subscription("http://127.0.0.1:9/h"), headers=other)
    ).status_code == 201
    assert (await client.delete(f"/fhir/Subscription/{made[0].json()['id']}", headers=ha)).status_code == 204
    assert (
        await client.post("/fhir/Subscription", json=_subscription("http://127.0.0.1:9/h3"), headers=ha)
    ).status_code == 201


async def test_a_revoked_clients_subscriptions_stop_delivering(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers, receiver: Receiver
) -> None:
    app.state.settings.subscription_allow_private = True
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    await auth_service.create_client(session, name="clinica-a", role="clinic", clues=[A])
    await session.commit()
    ha = auth_headers("clinic", clues=[A], client_id="clinica-a")
    made = (await client.post("/fhir/Subscription", json=_subscription(receiver.url()), headers=ha)).json()
    hb = auth_headers("bienestar")
    await client.post("/v1/visits", json=visit_body("S-before"), headers=hb)
    assert await _run_ready(app) == 1
    assert len(receiver.bodies) == 1

    await auth_service.revoke_client(session, name="clinica-a")
    await session.commit()
    await client.post("/v1/visits", json=visit_body("S-after"), headers=hb)
    await _run_ready(app)
    assert len(receiver.bodies) == 1
    after = (await client.get(f"/fhir/Subscription/{made['id']}", headers=auth_headers("admin"))).json()
    assert after["status"] == "off"


async def test_creating_and_deleting_a_subscription_is_audited(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth_headers: Headers
) -> None:
    app.state.settings.subscription_allow_private = True
    await add_unit(session, A, lat=19.4330, lon=-99.1330)
    ha = auth_headers("clinic", clues=[A])
    made = (
        await client.post("/fhir/Subscription", json=_subscription("http://127.0.0.1:9/hook"), headers=ha)
    ).json()
    assert (await client.delete(f"/fhir/Subscription/{made['id']}", headers=ha)).status_code == 204
    events, _ = await audit_service.search_events(
        session, criteria=AuditSearch(entity_groups=[[("Subscription", made["id"])]]), count=10
    )
    assert [(e.action, e.subtype, e.client_id) for e in events] == [
        ("C", "create", "test-clinic"),
        ("D", "delete", "test-clinic"),
    ]


def _tls_files(tmp: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for ``name``: (CA file, certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def cert(subject: str, key: Any, issuer: str, signer: Any, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert("interop test CA", ca_key, "interop test CA", ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert(name, key, "interop test CA", ca_key, ca=False)
    files = tmp / "ca.pem", tmp / "cert.pem", tmp / "key.pem"
    files[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


async def test_https_delivery_to_the_pinned_address_checks_the_certificate_against_the_name(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth_headers: Headers,
    stub_dns: StubDns,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A TLS receiver on 127.0.0.1 with a certificate for the stub name: the delivery connects to the
    address, sends the name as SNI and verifies the certificate for it (a Subscription to the same address
    under another name fails verification)."""
    import certifi

    ca, cert, key = _tls_files(tmp_path, STUB_NAME)
    monkeypatch.setattr(certifi, "where", lambda: str(ca))
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    seen_sni: list[str | None] = []
    server_tls.sni_callback = lambda _sock, server_name, _ctx: seen_sni.append(server_name)  # type: ignore[assignment,func-returns-value]
    rec = Receiver()
    web_app = web.Application()
    web_app.router.add_post("/hook", rec.hook)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    rec.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        app.state.settings.subscription_allow_private = True
        await add_unit(session, A, lat=19.4330, lon=-99.1330)
        ha = auth_headers("clinic", clues=[A])
        good = await client.post(
            "/fhir/Subscription", json=_subscription(f"https://{STUB_NAME}:{rec.port}/hook"), headers=ha
        )
        assert good.status_code == 201, good.text
        await client.post("/v1/visits", json=visit_body("S-tls"), headers=auth_headers("bienestar"))
        assert await _run_ready(app) == 1
        assert len(rec.bodies) == 1
        assert seen_sni == [STUB_NAME]
        assert rec.headers[0]["Host"] == f"{STUB_NAME}:{rec.port}"

        # The same address by its number: no name to check the certificate against, so it is refused.
        await client.delete(f"/fhir/Subscription/{good.json()['id']}", headers=ha)
        bare = await client.post(
            "/fhir/Subscription", json=_subscription(f"https://127.0.0.1:{rec.port}/hook"), headers=ha
        )
        await client.post("/v1/visits", json=visit_body("S-tls-2"), headers=auth_headers("bienestar"))
        assert await _run_ready(app) == 1
        assert len(rec.bodies) == 1
        after = (await client.get(f"/fhir/Subscription/{bare.json()['id']}", headers=ha)).json()
        assert after["status"] == "error"
    finally:
        await runner.cleanup()
