"""Following a searchset's ``next`` links the way a clinic system pages through a pull."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from fhir.resources.R4B.bundle import Bundle


async def walk(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    *,
    after_page: Callable[[int], Awaitable[None]] | None = None,
) -> list[str]:
    """The ids of the matches on every page, in order; ``after_page(n)`` runs after page n (from 0),
    e.g. to post new referrals while the client pages."""
    seen: list[str] = []
    next_url: str | None = url
    number = 0
    while next_url:
        page = (await client.get(next_url, headers=headers)).json()
        Bundle.model_validate(page)
        seen += [e["resource"]["id"] for e in page.get("entry", []) if e["search"]["mode"] == "match"]
        nxt = [link["url"] for link in page["link"] if link["relation"] == "next"]
        next_url = nxt[0].replace("http://testserver", "") if nxt else None
        if after_page is not None:
            await after_page(number)
        number += 1
    return seen
