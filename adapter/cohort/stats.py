"""The cohort's statistics, each from a well-kept library.

Descriptive figures come from the standard library's ``statistics`` (sample SD); Kaplan–Meier from
``scipy.stats.ecdf`` on right-censored data; the repeated-measures test from statsmodels'
``AnovaRM``. scipy, pandas and statsmodels are imported inside the functions that need them, so
importing this module (and ``spinemets score``) stays fast.

scipy's product-limit estimate counts a patient whose follow-up ends at a death time among those
at risk at that time (its at-risk number is everyone whose time is ≥ t): exactly the contract's
rule. ``tests/unit/cohort/test_stats.py`` holds it to that with a tie.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Described",
    "KaplanMeier",
    "RepeatedMeasures",
    "SurvivalPoint",
    "describe",
    "kaplan_meier",
    "repeated_measures",
]

RM_ANOVA = "repeated-measures ANOVA"


@dataclass(frozen=True, slots=True)
class Described:
    n: int
    mean: float | None
    sd: float | None  # sample SD; None below two values
    minimum: float | None
    maximum: float | None
    median: float | None


def describe(values: Sequence[float]) -> Described:
    if not values:
        return Described(0, None, None, None, None, None)
    data = [float(v) for v in values]
    sd = statistics.stdev(data) if len(data) > 1 else None
    return Described(
        len(data), statistics.fmean(data), sd, min(data), max(data), statistics.median(data)
    )


@dataclass(frozen=True, slots=True)
class SurvivalPoint:
    months: float
    survival: float
    at_risk: int
    events: int


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    curve: tuple[SurvivalPoint, ...]  # one point per distinct death time
    median_months: float | None  # the first time the curve is ≤ 0.5
    patients: int

    @property
    def median_reached(self) -> bool:
        return self.median_months is not None


def kaplan_meier(times: Sequence[float], died: Sequence[bool]) -> KaplanMeier:
    """Product-limit survival from the index procedure; the rest are censored at their end."""
    if len(times) != len(died):
        raise ValueError("times and died differ in length")
    deaths = sorted({t for t, d in zip(times, died, strict=True) if d})
    if not deaths:
        return KaplanMeier((), None, len(times))
    from scipy.stats import CensoredData, ecdf

    data = CensoredData(
        uncensored=[t for t, d in zip(times, died, strict=True) if d],
        right=[t for t, d in zip(times, died, strict=True) if not d],
    )
    survival = ecdf(data).sf
    curve = tuple(
        SurvivalPoint(
            months=t,
            survival=float(survival.evaluate(t)),
            at_risk=sum(1 for other in times if other >= t),
            events=sum(1 for other, d in zip(times, died, strict=True) if d and other == t),
        )
        for t in deaths
    )
    median = next((p.months for p in curve if p.survival <= 0.5), None)
    return KaplanMeier(curve, median, len(times))


@dataclass(frozen=True, slots=True)
class RepeatedMeasures:
    test: str
    n: int
    statistic: float
    p: float
    df_num: float
    df_den: float


def repeated_measures(rows: Sequence[Sequence[float]]) -> RepeatedMeasures | None:
    """One-way repeated-measures ANOVA over the time points, one row per complete patient.

    None when it cannot be computed: fewer than two patients or two time points, or no
    within-patient variation left to test against (an F that is not a finite number).
    """
    if len(rows) < 2 or len(rows[0]) < 2 or all(len(set(row)) == 1 for row in rows):
        return None
    import pandas as pd
    from statsmodels.stats.anova import AnovaRM

    frame = pd.DataFrame(
        [
            {"patient": i, "time": j, "value": float(v)}
            for i, row in enumerate(rows)
            for j, v in enumerate(row)
        ]
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when nothing varies: checked below
        table = AnovaRM(frame, depvar="value", subject="patient", within=["time"]).fit()
    row = table.anova_table.iloc[0]
    statistic, p = float(row["F Value"]), float(row["Pr > F"])
    if not (math.isfinite(statistic) and math.isfinite(p)):
        return None
    return RepeatedMeasures(
        RM_ANOVA, len(rows), statistic, p, float(row["Num DF"]), float(row["Den DF"])
    )
