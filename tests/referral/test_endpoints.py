"""The pure rules of rest-hook endpoints and headers, and ``pin`` with a stub resolver (no network)."""

from __future__ import annotations

import pytest

from interop.referral import endpoints
from interop.referral.endpoints import DeliveryRefused, address_class, pin


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("8.8.8.8", "public"),
        ("2606:4700::1111", "public"),
        ("127.0.0.1", "private"),
        ("127.1", "private"),  # loose spellings the C resolver accepts
        ("2130706433", "private"),
        ("0x7f.1", "private"),
        ("::1", "private"),
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "private"),
        ("fd12::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
        ("169.254.169.254", "forbidden"),
        ("fd00:ec2::254", "forbidden"),
        ("100.100.100.200", "forbidden"),
        ("64:ff9b::a9fe:a9fe", "forbidden"),  # NAT64 of 169.254.169.254
        ("::ffff:169.254.169.254", "forbidden"),
        ("fe80::1%eth0", "forbidden"),
        ("0.0.0.0", "forbidden"),  # noqa: S104 -- a value under test, not a bind
        ("::", "forbidden"),
        ("224.0.0.1", "forbidden"),
        ("ff02::1", "forbidden"),
        ("192.0.2.1", "forbidden"),
        ("240.0.0.1", "forbidden"),
        ("clinica.example.mx", None),
    ],
)
def test_address_classes(address: str, kind: str | None) -> None:
    assert address_class(address) == kind


def test_client_headers_keep_only_what_a_client_may_set() -> None:
    rows = ["Authorization: Bearer x", "Host: evil", "Connection: close", "X-Bad\r\nHost: evil", "X-Ok: 1"]
    assert endpoints.client_headers(rows) == {"Authorization": "Bearer x", "X-Ok": "1"}


def _stub(*answers: str) -> endpoints.Resolve:
    async def resolve(host: str, port: int) -> list[str]:
        assert host == "his.clinica.test"
        return list(answers)

    return resolve


async def test_pin_keeps_the_name_for_host_and_tls_and_connects_to_the_address() -> None:
    targets = await pin(
        "https://his.clinica.test/fhir/hook?x=1", [], allow_private=True, resolve=_stub("10.0.0.5", "::1")
    )
    assert [(t.url, t.host, t.sni) for t in targets] == [
        ("https://10.0.0.5:443/fhir/hook?x=1", "his.clinica.test", "his.clinica.test"),
        ("https://[::1]:443/fhir/hook?x=1", "his.clinica.test", "his.clinica.test"),
    ]
    plain = await pin("http://his.clinica.test:8080", [], allow_private=True, resolve=_stub("10.0.0.5"))
    assert [(t.url, t.host, t.sni) for t in plain] == [
        ("http://10.0.0.5:8080/", "his.clinica.test:8080", None)
    ]


async def test_one_refused_address_refuses_the_delivery() -> None:
    with pytest.raises(DeliveryRefused) as err:
        await pin("https://his.clinica.test/", [], allow_private=False, resolve=_stub("8.8.8.8", "10.0.0.5"))
    assert err.value.reason == "address"
    with pytest.raises(DeliveryRefused):
        await pin(
            "https://his.clinica.test/", [], allow_private=True, resolve=_stub("8.8.8.8", "169.254.169.254")
        )
    assert await pin("https://his.clinica.test/", [], resolve=_stub("8.8.8.8"))
