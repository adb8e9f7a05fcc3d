"""Trained models in the database: storing a new version, loading the active one (cached per process)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interop.matching.linkage import TrainedSettings
from interop.matching.models import MatchModel
from interop.matching.scoring import TrainedModel, load_model, model_digest


@dataclass(frozen=True, slots=True)
class LoadedModel:
    version: str
    digest: str
    settings: dict[str, Any]
    tf: dict[str, dict[str, float]]
    scoring: TrainedModel


# Models are immutable once stored: caching by version is safe.
_CACHE: dict[str, LoadedModel] = {}


def _loaded(row: MatchModel) -> LoadedModel:
    cached = _CACHE.get(row.version)
    if cached is not None:
        return cached
    tf: dict[str, dict[str, float]] = row.term_frequencies
    loaded = LoadedModel(
        version=row.version,
        digest=row.digest,
        settings=row.settings,
        tf=tf,
        scoring=load_model(row.settings, tf, version=row.version, digest=row.digest),
    )
    _CACHE[row.version] = loaded
    return loaded


async def active_model(session: AsyncSession) -> LoadedModel | None:
    version = (
        await session.execute(select(MatchModel.version).where(MatchModel.active).limit(1))
    ).scalar_one_or_none()
    if version is None:
        return None
    cached = _CACHE.get(version)
    if cached is not None:
        return cached
    row = await session.get(MatchModel, version)
    return None if row is None else _loaded(row)


async def get_model(session: AsyncSession, *, version: str) -> LoadedModel | None:
    cached = _CACHE.get(version)
    if cached is not None:
        return cached
    row = await session.get(MatchModel, version)
    return None if row is None else _loaded(row)


async def store_model(session: AsyncSession, trained: TrainedSettings) -> LoadedModel:
    """Store a trained model as the active version (idempotent on its digest)."""
    digest = model_digest(trained.settings, trained.tf)
    existing = (
        await session.execute(select(MatchModel).where(MatchModel.digest == digest))
    ).scalar_one_or_none()
    await session.execute(update(MatchModel).values(active=False))
    if existing is not None:
        existing.active = True
        await session.flush()
        return _loaded(existing)
    version = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{digest[:12]}"
    row = MatchModel(
        version=version,
        digest=digest,
        settings=trained.settings,
        term_frequencies=trained.tf,
        stats=trained.stats,
        active=True,
    )
    session.add(row)
    await session.flush()
    return _loaded(row)
