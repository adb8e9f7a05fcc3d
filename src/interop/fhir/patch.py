"""JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) on a resource's JSON. Pure; failures are 422."""

from __future__ import annotations

import copy
from typing import Any

from interop.errors import Invalid


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise Invalid(f"bad JSON pointer {path!r}")
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


def apply_json_patch(document: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """RFC 6902 (add, remove, replace, move, copy, test) on a copy; any failure is 422."""
    doc = copy.deepcopy(document)
    try:
        for op in ops:
            kind, parts = op["op"], _pointer(op["path"])
            if kind == "test":
                if _walk(doc, parts) != op["value"]:
                    raise Invalid(f"JSON Patch test failed at {op['path']}")
                continue
            value = (
                copy.deepcopy(_walk(doc, _pointer(op["from"])))
                if kind in ("move", "copy")
                else op.get("value")
            )
            if kind == "move":
                _remove(doc, _pointer(op["from"]))
            if kind == "remove":
                _remove(doc, parts)
            elif kind in ("add", "move", "copy"):
                parent = _walk(doc, parts[:-1])
                if isinstance(parent, list):
                    parent.insert(len(parent) if parts[-1] == "-" else int(parts[-1]), value)
                else:
                    parent[parts[-1]] = value
            elif kind == "replace":
                parent = _walk(doc, parts[:-1])
                if isinstance(parent, list):
                    parent[int(parts[-1])] = value
                else:
                    if parts[-1] not in parent:
                        raise KeyError(parts[-1])
                    parent[parts[-1]] = value
            else:
                raise Invalid(f"unknown JSON Patch op {kind!r}")
    except (KeyError, IndexError, ValueError, TypeError):
        raise Invalid("the JSON Patch does not apply to this Task") from None
    return doc


def apply_merge_patch(document: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(document) if isinstance(document, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = apply_merge_patch(out.get(key), value)
    return out


def _remove(doc: Any, parts: list[str]) -> None:
    parent = _walk(doc, parts[:-1])
    if isinstance(parent, list):
        del parent[int(parts[-1])]
    else:
        del parent[parts[-1]]
