"""One small synthetic population per test session, written once and read by many tests."""

from __future__ import annotations

import numpy as np
import pytest

from interop.synth.generate import synthesize
from interop.synth.geography import build_geography
from interop.synth.population import generate_population
from interop.synth.profile import ErrorModel
from interop.synth.vocabulary import build_vocabulary

from .factories import PEOPLE, SEED, World, Written


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    folder = tmp_path_factory.mktemp("synth")
    return Written(folder, synthesize(folder, people=PEOPLE, seed=SEED))


@pytest.fixture(scope="session")
def world() -> World:
    geo = build_geography(np.random.default_rng(3))
    vocab = build_vocabulary()
    pop = generate_population(np.random.default_rng(4), PEOPLE, ErrorModel(), geo, vocab)
    return World(geo, vocab, pop)
