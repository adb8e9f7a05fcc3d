"""Placeholder: filled by its owner."""

from __future__ import annotations

from interop.config import Settings


def bootstrap_admin_sync(settings: Settings, url: str) -> None:
    return None
