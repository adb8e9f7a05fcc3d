"""Shared shapes for the synth tests: the written folder and the in-memory world."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from interop.synth.generate import SynthSummary
from interop.synth.geography import Geography
from interop.synth.population import Population
from interop.synth.vocabulary import Vocabulary

PEOPLE = 20_000
SEED = 11


@dataclass(frozen=True)
class Written:
    folder: Path
    summary: SynthSummary

    def rows(self, name: str) -> list[dict[str, str]]:
        with (self.folder / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def header(self, name: str) -> list[str]:
        with (self.folder / name).open(encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle))


@dataclass(frozen=True)
class World:
    geo: Geography
    vocab: Vocabulary
    pop: Population
