"""Leaf bytes of a compact record: the chain's canonical form plus the patients, rebuilt alike from COPY."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from interop.audit import chain, leaf

T0 = datetime(2026, 12, 6, 7, 0, 0, 123456, tzinfo=UTC)


def _row(patients: str | None, patient: str | None = None) -> list[object]:
    values = {
        "seq": 42,
        "recorded_at": T0,
        "type": "rest",
        "subtype": "search-type",
        "action": "E",
        "outcome": "0",
        "outcome_desc": None,
        "client_id": "clinic-a",
        "role": "clinic",
        "user_id": None,
        "network_address": "10.0.0.7",
        "request_id": "r1",
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "patient": patient,
        "entities": chain.entities_text([{"id": "t1", "role": "domain-resource", "type": "Task"}]),
        "query": "status=requested",
        "patients": patients,
    }
    return [values[f] for f in leaf.LEAF_FIELDS]


def _copy_line(row: list[object]) -> bytes:
    """The row as ``COPY … TO STDOUT (NULL '')`` writes it in UTC, with a leaf index column after it."""
    fields = []
    for value in row:
        if value is None:
            fields.append(b"")
        elif isinstance(value, datetime):
            fields.append(value.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").encode() + b"+00")
        else:
            fields.append(str(value).replace("\\", "\\\\").encode())
    return b"\t".join([*fields, b"7"])


def test_a_record_with_patients_adds_exactly_the_patients_key() -> None:
    refs = ["Patient/p1", "Patient/p2"]
    data = leaf.canonical_leaf(_row(leaf.patients_text(refs)))
    parsed = orjson.loads(data)
    assert parsed["patients"] == refs
    assert parsed["patient"] is None
    assert data == orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)  # sorted, compact, nothing else
    without = {k: v for k, v in parsed.items() if k != "patients"}
    assert orjson.dumps(without, option=orjson.OPT_SORT_KEYS) == chain.canonical_row(_row(None)[:-1])


def test_a_record_before_compact_storage_keeps_the_chain_form() -> None:
    row = _row(None, patient="Patient/p1")
    assert leaf.canonical_leaf(row) == chain.canonical_row(row[:-1])


@pytest.mark.parametrize(
    "patients",
    [None, '["Patient/p1"]', '["Patient/p1","Patient/a\\\\b"]', '["Patient/\\"q\\""]'],
)
def test_copy_lines_give_the_same_leaf(patients: str | None) -> None:
    row = _row(patients)
    line = _copy_line(row)
    assert leaf.canonical_leaf_from_copy(line, line.split(b"\t")) == leaf.canonical_leaf(row)


def test_a_changed_patient_changes_the_leaf() -> None:
    one = leaf.canonical_leaf(_row('["Patient/p1","Patient/p2"]'))
    assert leaf.canonical_leaf(_row('["Patient/p1","Patient/p3"]')) != one
    assert leaf.canonical_leaf(_row('["Patient/p1"]')) != one
    assert leaf.canonical_leaf(_row(None)) != one
