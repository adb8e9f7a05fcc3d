"""Placeholder: filled by the audit owner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditEntity:
    type: str
    id: str
    role: str = "domain-resource"
