"""JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) on a resource's JSON. Pure; failures are 422.

A patch is bounded before it can cost anything (``PatchLimits``): the number of operations, the size of
the resource after each operation (``copy`` doubles a member per operation: 30 of them in 1.5 KB would
need gigabytes) and the nesting depth of what it writes. Sizes are counted as compact JSON bytes and kept
up to date per operation, so a refused patch never builds its oversized result first.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import orjson

from interop.errors import Invalid


@dataclass(frozen=True)
class PatchLimits:
    max_operations: int = 100
    max_result_bytes: int = 262_144
    max_depth: int = 32


class PatchTooLarge(Invalid):
    """A patch over one of the limits (422, naming the operation and its path)."""


def _shown(path: object) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:77] + "..."


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise Invalid.said("fhir.patch.bad_pointer", pointer=repr(_shown(path)))
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(doc, list):
            doc = doc[int(p)]
        elif isinstance(doc, dict):
            doc = doc[p]
        else:
            raise KeyError(p)
    return doc


def _size(value: Any) -> int:
    return len(orjson.dumps(value))


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
            deepest = max(deepest, level + 1)
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
            deepest = max(deepest, level + 1)
    return deepest


def apply_json_patch(
    document: dict[str, Any], ops: list[Any], limits: PatchLimits | None = None
) -> dict[str, Any]:
    """RFC 6902 (add, remove, replace, move, copy, test) on a copy, within ``limits``; any failure is 422."""
    limits = limits or PatchLimits()
    if len(ops) > limits.max_operations:
        raise PatchTooLarge.said("patch.too_many_ops", count=len(ops), max=limits.max_operations)
    doc = copy.deepcopy(document)
    size = _size(doc)
    try:
        for number, op in enumerate(ops, start=1):
            if not isinstance(op, dict):
                raise Invalid.said("patch.not_an_object", number=number)
            kind, parts = op["op"], _pointer(op["path"])
            if kind == "test":
                if _walk(doc, parts) != op["value"]:
                    raise Invalid.said("patch.test_failed", path=_shown(op["path"]))
                continue
            source = _walk(doc, _pointer(op["from"])) if kind in ("move", "copy") else op.get("value")
            if kind in ("add", "copy", "replace"):
                grown = size + _size(source)
                if kind == "replace":
                    grown -= _size(_walk(doc, parts))
                if grown > limits.max_result_bytes:
                    raise PatchTooLarge.said(
                        "patch.op_too_large",
                        number=number,
                        kind=kind,
                        path=_shown(op["path"]),
                        max=limits.max_result_bytes,
                    )
            if kind in ("add", "copy", "replace", "move") and len(parts) + _depth(source) > limits.max_depth:
                raise PatchTooLarge.said(
                    "patch.op_too_deep",
                    number=number,
                    kind=kind,
                    path=_shown(op["path"]),
                    max=limits.max_depth,
                )
            value = copy.deepcopy(source) if kind == "copy" else source
            if kind == "move":
                _remove(doc, _pointer(op["from"]))
            if kind == "remove":
                size -= _size(_walk(doc, parts))
                _remove(doc, parts)
            elif kind in ("add", "move", "copy"):
                parent = _walk(doc, parts[:-1])
                if isinstance(parent, list):
                    parent.insert(len(parent) if parts[-1] == "-" else int(parts[-1]), value)
                else:
                    if kind != "move" and parts[-1] in parent:  # add on a member replaces it
                        size -= _size(parent[parts[-1]])
                    parent[parts[-1]] = value
                if kind != "move":
                    size += _size(value)
            elif kind == "replace":
                parent = _walk(doc, parts[:-1])
                if isinstance(parent, list):
                    old = parent[int(parts[-1])]
                    parent[int(parts[-1])] = value
                else:
                    if parts[-1] not in parent:
                        raise KeyError(parts[-1])
                    old = parent[parts[-1]]
                    parent[parts[-1]] = value
                size += _size(value) - _size(old)
            else:
                raise Invalid.said("patch.unknown_op", op=repr(_shown(kind)))
    except (KeyError, IndexError, ValueError, TypeError):
        raise Invalid.said("patch.does_not_apply") from None
    return doc


def apply_merge_patch(document: Any, patch: Any, limits: PatchLimits | None = None) -> Any:
    """RFC 7386: objects merge recursively, null removes, anything else replaces; within ``limits``."""
    limits = limits or PatchLimits()
    if _depth(patch) > limits.max_depth:
        raise PatchTooLarge.said("patch.merge_too_deep", max=limits.max_depth)
    result = _merge(document, patch)
    if _size(result) > limits.max_result_bytes:
        raise PatchTooLarge.said("patch.merge_too_large", max=limits.max_result_bytes)
    return result


def _merge(document: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(document) if isinstance(document, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


def _remove(doc: Any, parts: list[str]) -> None:
    parent = _walk(doc, parts[:-1])
    if isinstance(parent, list):
        del parent[int(parts[-1])]
    else:
        del parent[parts[-1]]
