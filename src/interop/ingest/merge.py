"""The result of merging one staged batch into a record table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MergeCounts:
    new_records: int = 0
    new_versions: int = 0
    unchanged: int = 0
    rejected: int = 0  # rows refused by the merge itself (e.g. another unit's CLUES)
