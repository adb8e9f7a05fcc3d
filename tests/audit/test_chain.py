"""The pure hash chain: canonical form, linking, walking, checkpoint messages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from interop.audit import chain
from interop.messages.stored import keep, said

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def event(seq: int, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "seq": seq,
        "recorded_at": T0 + timedelta(seconds=seq),
        "type": "rest",
        "subtype": "read",
        "action": "R",
        "outcome": "0",
        "outcome_desc": None,
        "client_id": "clinic-a",
        "role": "clinic",
        "user_id": None,
        "network_address": "10.0.0.1",
        "request_id": f"r{seq}",
        "trace_id": "a" * 32,
        "patient": f"Patient/{seq}",
        "entities": [{"type": "Task", "id": str(seq), "role": "domain-resource"}],
        "query": None,
    }
    values.update(changes)
    return values


def build(n: int) -> list[list[Any]]:
    rows, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        ev = event(seq)
        prev = chain.link(prev, chain.canonical(ev))
        rows.append([ev[name] for name in chain.ROW_FIELDS] + [prev])
    return rows


def test_canonical_form_is_sorted_compact_json_with_utc_microseconds() -> None:
    body = chain.canonical(
        event(1, recorded_at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC) + timedelta(hours=0))
    )
    text = body.decode()
    assert " " not in text
    parsed = orjson.loads(body)
    assert list(parsed) == sorted(parsed)
    assert parsed["recorded"] == "2026-11-23T03:00:00.000000Z"
    assert parsed["entities"] == [{"id": "1", "role": "domain-resource", "type": "Task"}]


def test_canonical_form_is_the_same_for_a_row_from_the_database() -> None:
    ev = event(3)
    as_row = [ev[name] for name in chain.ROW_FIELDS]
    as_row[14] = chain.entities_text(ev["entities"])  # the stored text
    as_row[1] = chain.format_instant(ev["recorded_at"])
    assert chain.canonical_row(as_row) == chain.canonical(ev)


def _copy_text(value: Any) -> bytes:
    """How PostgreSQL's COPY text format writes one value (NULL as empty)."""
    if value is None:
        return b""
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat(sep=" ")
        text = text.replace("+00:00", "+00")
        if "." in text:
            head, _, tail = text.partition(".")
            text = head + "." + tail[:-3].rstrip("0") + "+00" if tail[:-3].rstrip("0") else head + "+00"
        return text.encode()
    text = str(value)
    for raw, escaped in (
        ("\\", "\\\\"),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
        ("\b", "\\b"),
        ("\f", "\\f"),
        ("\v", "\\v"),
    ):
        text = text.replace(raw, escaped)
    return text.encode()


def _copy_line(ev: dict[str, Any]) -> tuple[bytes, list[bytes]]:
    values = [ev[name] for name in chain.ROW_FIELDS]
    values[14] = chain.entities_text(values[14])
    fields = [_copy_text(v) for v in values] + [b"00"]
    return b"\t".join(fields), fields


@given(
    st.text(max_size=12),
    st.one_of(st.none(), st.text(max_size=12)),
    st.integers(min_value=0, max_value=999_999),
)
def test_canonical_from_copy_equals_the_canonical_form(client: str, query: str | None, micros: int) -> None:
    ev = event(
        9,
        client_id=client or "c",
        query=query or None,
        recorded_at=T0 + timedelta(microseconds=micros),
        entities=[{"type": "Task", "id": client or "x", "role": "domain-resource"}],
    )
    line, fields = _copy_line(ev)
    expected = chain.canonical(ev)
    fast = chain.canonical_from_copy(line, fields)
    assert fast in (None, expected)
    assert chain.canonical_from_copy_slow(fields) == expected


def test_plain_values_take_the_fast_path() -> None:
    line, fields = _copy_line(event(1, query="status=requested", user_id="dr-x"))
    assert chain.canonical_from_copy(line, fields) == chain.canonical(
        event(1, query="status=requested", user_id="dr-x")
    )
    quoted, quoted_fields = _copy_line(event(1, query='name="x"'))
    assert chain.canonical_from_copy(quoted, quoted_fields) is None


def test_copy_walker_matches_walk_and_finds_breaks() -> None:
    events = [event(seq) for seq in range(1, 8)]
    prev, lines = chain.GENESIS, []
    for ev in events:
        prev = chain.link(prev, chain.canonical(ev))
        line, _ = _copy_line(ev)
        lines.append(line[:-2] + prev.hex().encode())
    stream = b"\n".join(lines) + b"\n"
    walker = chain.CopyWalker(prev_seq=0, prev_hash=chain.GENESIS)
    for i in range(0, len(stream), 97):  # chunks cut mid-line, as COPY delivers them
        walker.feed(stream[i : i + 97])
    assert walker.result().broken is None
    assert walker.result().last_seq == 7
    tampered = b"\n".join([*lines[:3], lines[3].replace(b"clinic-a", b"clinic-b"), *lines[4:]]) + b"\n"
    walker = chain.CopyWalker(prev_seq=0, prev_hash=chain.GENESIS)
    walker.feed(tampered)
    assert walker.result().broken == chain.Break(4, keep("audit.verify.hash_mismatch"))
    walker = chain.CopyWalker(prev_seq=0, prev_hash=chain.GENESIS)
    walker.feed(b"\n".join(lines[:2] + lines[3:]) + b"\n")
    assert walker.result().broken == chain.Break(3, keep("audit.verify.entry_missing"))


def test_link_is_sha256_of_previous_hash_and_canonical_bytes() -> None:
    body = chain.canonical(event(1))
    assert chain.link(chain.GENESIS, body) == hashlib.sha256(bytes(32) + body).digest()


def test_intact_chain_walks_to_the_end() -> None:
    result = chain.walk(build(20), prev_seq=0, prev_hash=chain.GENESIS)
    assert result.broken is None
    assert (result.count, result.last_seq) == (20, 20)


def test_changed_field_breaks_at_that_entry() -> None:
    rows = build(10)
    rows[6][7] = "someone-else"
    assert chain.walk(rows, prev_seq=0, prev_hash=chain.GENESIS).broken == chain.Break(
        7, keep("audit.verify.hash_mismatch")
    )


def test_deleted_entry_is_named_as_missing() -> None:
    rows = build(10)
    del rows[3]
    broken = chain.walk(rows, prev_seq=0, prev_hash=chain.GENESIS).broken
    assert broken is not None
    assert broken.seq == 4
    assert said(broken.reason, "es-MX") == "falta una entrada (hueco en la secuencia)"
    assert said(broken.reason, "en") == "entry missing (sequence gap)"


def test_swapped_sequence_numbers_break_at_the_lower_one() -> None:
    rows = build(10)
    rows[4][0], rows[5][0] = rows[5][0], rows[4][0]
    rows[4], rows[5] = rows[5], rows[4]  # as ORDER BY seq returns them
    broken = chain.walk(rows, prev_seq=0, prev_hash=chain.GENESIS).broken
    assert broken is not None
    assert broken.seq == 5


def test_walk_resumes_from_a_known_head() -> None:
    rows = build(10)
    first = chain.walk(rows[:4], prev_seq=0, prev_hash=chain.GENESIS)
    rest = chain.walk(rows[4:], prev_seq=first.last_seq, prev_hash=first.last_hash)
    assert rest.broken is None
    assert rest.last_seq == 10


@given(st.integers(min_value=1, max_value=30), st.data())
def test_any_single_field_change_is_found_at_its_entry(n: int, data: st.DataObject) -> None:
    rows = build(n)
    target = data.draw(st.integers(min_value=0, max_value=n - 1))
    column = data.draw(st.sampled_from([2, 3, 4, 5, 7, 8, 10, 11, 12, 13]))
    rows[target][column] = f"{rows[target][column]}x"
    broken = chain.walk(rows, prev_seq=0, prev_hash=chain.GENESIS).broken
    assert broken is not None
    assert broken.seq == target + 1


def test_checkpoint_message_is_domain_separated_and_binds_every_field() -> None:
    base = {"seq": 5, "hash_": b"\x01" * 32, "created_at": T0, "key_id": "k1"}
    message = chain.checkpoint_message(**base)
    assert message.startswith(b"interop-audit-checkpoint/v1\n")
    for change in (
        {"seq": 6},
        {"hash_": b"\x02" * 32},
        {"created_at": T0 + timedelta(microseconds=1)},
        {"key_id": "k2"},
    ):
        assert chain.checkpoint_message(**{**base, **change}) != message
