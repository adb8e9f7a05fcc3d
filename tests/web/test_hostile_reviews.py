"""A hostile look at the review pages: the reversal form sent twice (a double click, the browser resending
the form) reversed the decision and then reversed it back, leaving the opposite of what the reviewer
chose with two audited reversals. Failed on the old code (the second post answered 303 and the decision
went back to ``link``)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tests.web.conftest import MakeUser, csrf_of, seed_reviews, sign_in


async def test_the_reversal_form_sent_twice_reverses_once(
    client: httpx.AsyncClient, make_user: MakeUser, session: AsyncSession
) -> None:
    ids = await seed_reviews(session)
    await make_user("rev.doble", "reviewer")
    assert (await sign_in(client, "rev.doble")).status_code == 303
    page = await client.get(f"/app/reviews/{ids['old']}")
    decided = await client.post(
        f"/app/reviews/{ids['old']}/decision",
        data={"decision": "link", "reason": "misma persona", "csrf_token": csrf_of(page.text)},
    )
    assert decided.status_code == 303
    shown = await client.get(f"/app/reviews/{ids['old']}")
    form = re.search(r'action="/app/reviews/\d+/reversal".*?</form>', shown.text, re.S)
    assert form, shown.text[:500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    assert fields["decision"] == "link"
    sent = {**fields, "reason": "error de captura"}
    first = await client.post(f"/app/reviews/{ids['old']}/reversal", data=sent)
    again = await client.post(f"/app/reviews/{ids['old']}/reversal", data=sent)
    assert first.status_code == again.status_code == 303
    decision = (
        await session.execute(text("SELECT decision FROM match_review WHERE id = :i"), {"i": ids["old"]})
    ).scalar_one()
    assert decision == "not-link"
    reversals = (
        await session.execute(
            text(
                "SELECT count(*) FROM audit_record "
                "WHERE subtype = 'decision-reversal' AND user_id = 'rev.doble'"
            )
        )
    ).scalar_one()
    assert reversals == 1
    after = await client.get(f"/app/reviews/{ids['old']}")
    assert "Otra persona ya decidió esta revisión." in after.text
