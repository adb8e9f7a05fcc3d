"""Every caller-visible error is said through the catalogue (es-MX first, English on request): no
``DomainError`` (or subclass) is built with a literal message and no ``key=``. Use ``.said(key, **params)``.

The class hierarchy is read from the source with ``ast``, so a new subclass anywhere is covered.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import interop
from interop import messages

SRC = Path(interop.__file__).parent

# Packages not converted yet, each with why. Shrink this list; never grow it.
NOT_YET_CONVERTED: tuple[str, ...] = ()


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _classes(tree: ast.Module) -> dict[str, set[str]]:
    return {
        node.name: {n for n in (_name(b) for b in node.bases) if n}
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }


def _domain_errors(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of DomainError and its subclasses, by class name across the package."""
    defined = [(cls, parents) for tree in trees.values() for cls, parents in _classes(tree).items()]
    found = {"DomainError"}
    grew = True
    while grew:
        grew = False
        for cls, parents in defined:
            if cls not in found and parents & found:
                found.add(cls)
                grew = True
    return found


def _in_module(tree: ast.Module, classes: set[str]) -> set[str]:
    """The error names as one module sees them: a class it defines itself shadows another module's class of
    the same name (``referral.states.IllegalTransition`` is a ValueError, not the 409 of ``errors``)."""
    local = _classes(tree)
    mine = {"DomainError"} & classes
    grew = True
    while grew:
        grew = False
        for cls, parents in local.items():
            if cls not in mine and parents & (mine | (classes - set(local))):
                mine.add(cls)
                grew = True
    return mine | (classes - set(local))


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _literal(node.left) or _literal(node.right)
    if isinstance(node, ast.IfExp):
        return _literal(node.body) or _literal(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _literal(node.func.value)  # "…".format(…)
    return False


def _literal_errors(trees: dict[Path, ast.Module], classes: set[str]) -> list[str]:
    found = []
    for path, tree in trees.items():
        seen = _in_module(tree, classes)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in seen:
                continue
            if any(k.arg == "key" for k in node.keywords):
                continue
            if node.args and _literal(node.args[0]):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(SRC.rglob("*.py"))}


def test_the_hierarchy_is_read_from_the_source() -> None:
    classes = _domain_errors(_trees())
    # Direct and indirect subclasses, from errors.py and from domain modules.
    assert {
        "NotFound",
        "Invalid",
        "Conflict",
        "Forbidden",
        "Unauthenticated",
        "InsufficientStorage",
    } <= classes
    assert {"InvalidSubscription", "TokenError", "FileRefused"} <= classes


def test_no_caller_visible_error_is_raised_with_literal_text() -> None:
    trees = _trees()
    offenders = [
        where
        for where in _literal_errors(trees, _domain_errors(trees))
        if not where.replace("\\", "/").startswith(NOT_YET_CONVERTED)
    ]
    assert offenders == [], f"{len(offenders)} errors with literal text and no key: {offenders}"


def test_the_allowlist_is_not_stale() -> None:
    trees = _trees()
    offenders = _literal_errors(trees, _domain_errors(trees))
    for package in NOT_YET_CONVERTED:
        assert any(o.startswith(package) for o in offenders), f"{package} is converted: drop it from the list"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_said_names_a_key_and_fills_exactly_its_placeholders() -> None:
    """``.said`` renders at raise time: an unknown key or a missing parameter would make a refusal a 500."""
    catalogue = messages.CATALOGUES[messages.SPANISH]
    wrong = []
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and _name(node.func) in ("said", "said_with", "keep") and node.args
            ):
                continue
            first = node.args[0]
            choices = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            keys = [c.value for c in choices if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            names: set[str] | None
            if _name(node.func) == "said_with" and len(node.args) > 1 and isinstance(node.args[1], ast.Dict):
                names = {k.value for k in node.args[1].keys if isinstance(k, ast.Constant)}
            elif _name(node.func) == "said_with" or any(k.arg is None for k in node.keywords):
                names = None  # parameters built elsewhere: checked where they are built
            else:
                names = {str(k.arg) for k in node.keywords}
            for key in keys:
                if key not in catalogue or (names is not None and names != _fields(catalogue[key])):
                    wrong.append(f"{path.relative_to(SRC)}:{node.lineno} {key}")
    assert wrong == []
