"""Accuracy beyond pairwise P/R: the review queue (how many, how many are true matches, per source
pair) and reliability tables (predicted probability bands against the observed share of true
matches). Read from the embedded database of a bench run and from ``$match`` answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BANDS = (0.0, 0.1, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0000001)


def pair_kind(a: str, b: str) -> str:
    sa, sb = sorted((a.split("|", 1)[0], b.split("|", 1)[0]), key=("roll", "patients").index)
    return f"{sa}-{sb}"


def review_rows(env: dict[str, str]) -> list[tuple[str, str, float, float]]:
    """Open review pairs as ("source|record_id", "source|record_id", score shown, the model's raw score);
    the raw one is the shown one where no calibration has run (older code)."""
    from sqlalchemy import text

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)

    async def run() -> list[tuple[str, str, float, float]]:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            has_raw = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM information_schema.columns "
                        "WHERE table_name = 'match_review' AND column_name = 'raw_score'"
                    )
                )
            ).scalar_one()
            raw = "coalesce(raw_score, score)" if has_raw else "score"
            rows = await session.execute(
                text(
                    "SELECT left_source || '|' || left_record_id, right_source || '|' || right_record_id, "
                    f"score, {raw} FROM match_review WHERE status = 'open'"
                )
            )
            return [(str(a), str(b), float(s), float(r)) for a, b, s, r in rows.all()]

    try:
        return asyncio.run(run())
    finally:
        if server is not None:
            server.stop()


def last_run_timings(env: dict[str, str]) -> dict[str, Any]:
    """Seconds per stage of the latest match run (wall, and CPU of the interop process) and per write
    step (its stored counts)."""
    from sqlalchemy import text

    from interop.config import Settings
    from interop.db.runtime import open_database, prepare

    settings = Settings(data_dir=Path(env["INTEROP_DATA_DIR"]))
    url, server = prepare(settings)

    async def run() -> dict[str, Any]:
        async with open_database(settings, url) as db, db.sessionmaker() as session:
            counts = (
                await session.execute(text("SELECT counts FROM match_run ORDER BY id DESC LIMIT 1"))
            ).scalar_one_or_none() or {}
            return {
                "stages": counts.get("timings_s"),
                "stages_cpu": counts.get("cpu_s"),
                "peak_rss_gib_after": counts.get("peak_rss_gib"),
                "writes": counts.get("write_timings_s"),
                "files": counts.get("file_timings_s"),
            }

    try:
        return asyncio.run(run())
    finally:
        if server is not None:
            server.stop()


def review_queue(
    reviews: list[tuple[str, str, float, float]], truth: dict[str, str], records: int
) -> dict[str, Any]:
    """How many open reviews, their share of records, and how many pairs are the same person."""
    out: dict[str, Any] = {"reviews": len(reviews), "records": records}
    out["reviews_per_record"] = round(len(reviews) / records, 4) if records else 0.0
    per: dict[str, list[int]] = {}
    for a, b, _, _ in reviews:
        same = truth.get(a) is not None and truth.get(a) == truth.get(b)
        cell = per.setdefault(pair_kind(a, b), [0, 0])
        cell[0] += 1
        cell[1] += same
    true = sum(c[1] for c in per.values())
    out["true_pairs"] = true
    out["review_precision"] = round(true / len(reviews), 4) if reviews else None
    out["per_source_pair"] = {
        k: {"reviews": n, "true": t, "precision": round(t / n, 4)} for k, (n, t) in sorted(per.items())
    }
    return out


def reliability(scored: Iterable[tuple[float, bool]]) -> list[dict[str, Any]]:
    """Per probability band: pairs, mean predicted probability, observed share of true matches."""
    cells: list[list[float]] = [[0, 0.0, 0] for _ in BANDS[:-1]]
    for p, same in scored:
        for i in range(len(BANDS) - 1):
            if BANDS[i] <= p < BANDS[i + 1]:
                cells[i][0] += 1
                cells[i][1] += p
                cells[i][2] += same
                break
    rows = []
    for i, (n, total_p, true) in enumerate(cells):
        if not n:
            continue
        hi = min(BANDS[i + 1], 1.0)
        rows.append(
            {
                "band": f"[{BANDS[i]:g}, {hi:g}{']' if hi == 1.0 else ')'}",
                "pairs": int(n),
                "mean_predicted": round(total_p / n, 4),
                "observed_true": round(true / n, 4),
            }
        )
    return rows


def format_reliability(title: str, rows: list[dict[str, Any]]) -> str:
    lines = [title, f"  {'band':<16}{'pairs':>8}{'predicted':>11}{'observed':>10}"]
    for r in rows:
        lines.append(
            f"  {r['band']:<16}{r['pairs']:>8}{r['mean_predicted']:>11.4f}{r['observed_true']:>10.4f}"
        )
    return "\n".join(lines)


def calibration_error(rows: list[dict[str, Any]]) -> float | None:
    """Expected calibration error over the table's bands: the pair-weighted mean of
    |mean predicted − observed|."""
    n = sum(r["pairs"] for r in rows)
    if not n:
        return None
    return round(sum(r["pairs"] * abs(r["mean_predicted"] - r["observed_true"]) for r in rows) / n, 4)


def before_after(raw: list[tuple[float, bool]], shown: list[tuple[float, bool]]) -> dict[str, Any]:
    """Reliability of the model's raw probability and of the calibrated one on the same pairs, with
    the expected calibration error of each."""
    before, after = reliability(raw), reliability(shown)
    return {
        "raw": before,
        "calibrated": after,
        "ece_raw": calibration_error(before),
        "ece_calibrated": calibration_error(after),
    }


def format_before_after(title: str, table: dict[str, Any]) -> str:
    lines = [title]
    for name in ("raw", "calibrated"):
        lines.append(format_reliability(f" {name} (ECE {table[f'ece_{name}']})", table[name]))
    return "\n".join(lines)
