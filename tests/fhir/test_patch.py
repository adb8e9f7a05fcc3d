"""JSON Patch / Merge Patch bounds: a patch is refused before it can build an oversized resource."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from interop.errors import Invalid
from interop.fhir.patch import PatchLimits, apply_json_patch, apply_merge_patch

TASK: dict[str, Any] = {
    "resourceType": "Task",
    "id": "t1",
    "status": "requested",
    "input": [{"type": {"text": "x" * 200}, "valueString": "y" * 200}],
}


def doubling(n: int) -> list[dict[str, Any]]:
    """``copy`` of a member into itself, n times: 2**n copies of it (the bomb of issue 14)."""
    return [{"op": "copy", "from": "/input", "path": f"/input/{i % 2}"} for i in range(n)]


def test_copy_doubling_is_refused_fast_and_names_the_operation() -> None:
    started = time.monotonic()
    with pytest.raises(Invalid) as err:
        apply_json_patch(TASK, doubling(60), PatchLimits(max_operations=100, max_result_bytes=65_536))
    assert time.monotonic() - started < 1.0
    assert "/input/" in err.value.message
    assert "65536 bytes" in err.value.message


def test_too_many_operations_are_refused_before_any_is_applied() -> None:
    ops = [{"op": "test", "path": "/status", "value": "requested"}] * 101
    with pytest.raises(Invalid, match="101 operaciones"):
        apply_json_patch(TASK, ops, PatchLimits(max_operations=100))


def test_deep_values_are_refused() -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = {"a": deep}
    with pytest.raises(Invalid, match="anida más de 32 niveles"):
        apply_json_patch(TASK, [{"op": "add", "path": "/note", "value": deep}], PatchLimits(max_depth=32))
    with pytest.raises(Invalid, match="anida"):
        apply_merge_patch(TASK, {"note": deep}, PatchLimits(max_depth=32))


def test_size_accounting_follows_replace_remove_and_move() -> None:
    limits = PatchLimits(max_result_bytes=len(orjson.dumps(TASK)) + 600)
    big = "z" * 500
    ops: list[dict[str, Any]] = []
    for _ in range(20):  # each add is taken back: the resource never grows past the limit
        ops += [
            {"op": "add", "path": "/description", "value": big},
            {"op": "replace", "path": "/description", "value": "short"},
            {"op": "move", "from": "/description", "path": "/note"},
            {"op": "remove", "path": "/note"},
        ]
    out = apply_json_patch(
        TASK, ops, PatchLimits(max_operations=100, max_result_bytes=limits.max_result_bytes)
    )
    assert out == TASK
    grow = [
        {"op": "add", "path": "/description", "value": big},
        {"op": "copy", "from": "/description", "path": "/description2"},
    ]
    with pytest.raises(Invalid, match="copy en /description2"):
        apply_json_patch(TASK, grow, limits)


def test_ordinary_patches_still_apply() -> None:
    out = apply_json_patch(
        TASK,
        [
            {"op": "test", "path": "/status", "value": "requested"},
            {"op": "replace", "path": "/status", "value": "accepted"},
            {"op": "add", "path": "/businessStatus", "value": {"text": "cita agendada"}},
            {"op": "copy", "from": "/input/0", "path": "/input/-"},
        ],
    )
    assert out["status"] == "accepted"
    assert len(out["input"]) == 2
    assert apply_merge_patch(TASK, {"status": "accepted"})["status"] == "accepted"
