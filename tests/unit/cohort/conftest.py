"""Seed cohort records built straight from the fixture tables (Table 4 and the synthetic set)."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from adapter.outcomes import (
    TIME_POINTS,
    Measurement,
    Moment,
    PatientOutcome,
    ScoreAtIndex,
    Trajectory,
)

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "fixtures"))
import outcomes as seed  # type: ignore[import-not-found]  # noqa: E402  # fixtures/outcomes.py

DAYS = {"baseline": -2, "7d": 7, "3mo": 91, "6mo": 182}


def _trajectory(values: dict[str, list[int]], n: int) -> Trajectory:
    points = []
    for tp in TIME_POINTS:
        when = seed.INDEX_START + timedelta(days=DAYS[tp], hours=2)
        points.append(
            Measurement(values[tp][n - 1], when, when.date(), True, 0, None, when.isoformat())
        )
    return Trajectory(tuple(points))


def _score(code: str, value) -> ScoreAtIndex:
    low, high = value if isinstance(value, tuple) else (value, value)
    return ScoreAtIndex(code, low, high)


def build_seed_records() -> list[PatientOutcome]:
    values = seed.synthetic_values()
    out = []
    scores = seed.seed_scores()
    for n, (levels, pmma, months, died) in seed.TABLE4.items():
        sex, age, site = seed.DEMOGRAPHICS[n]
        end = Moment.at(seed.INDEX_START + timedelta(days=months * seed.DAYS_PER_MONTH))
        out.append(
            PatientOutcome(
                patient=f"seed-{n:02d}", index_day=date(2024, 5, 22), index_start=seed.INDEX_START,
                procedures=(f"Procedure/seed-{n:02d}-pvp",), treated_levels=levels,
                cement_ml=float(pmma), sex=sex, age_years=age, primary_sites=(site,), died=died,
                death=end if died else None, last_follow_up=None if died else end,
                pain=_trajectory(values["pain"], n), barthel=_trajectory(values["barthel"], n),
                scores=tuple(_score(c, v) for c, v in zip(("sins", "tomita", "tokuhashi-revised"), scores[n], strict=True)),
            )
        )  # fmt: skip
    return out


@pytest.fixture(scope="session")
def seed_records() -> list[PatientOutcome]:
    return build_seed_records()


@pytest.fixture(scope="session")
def oracle() -> dict:
    return json.loads(
        (ROOT / "fixtures" / "expected" / "cohort" / "seed.expected.json").read_text()
    )
