"""The cohort report of contract §6 as one JSON-ready object (the Table 4 summary and more).

Figures are rounded to four decimals; counts are integers; ``null`` stands for "cannot be
computed" (an SD of one value, a median survival that is not reached).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from adapter.cohort.stats import (
    Described,
    KaplanMeier,
    describe,
    kaplan_meier,
    repeated_measures,
)
from adapter.outcomes import MEASURES, TIME_POINTS, PatientOutcome
from adapter.scoring import level_order

__all__ = ["COHORT_SCORES", "at_risk_table", "cohort_summary", "survival_input"]

COHORT_SCORES = (
    "sins",
    "tomita",
    "tokuhashi-revised",
    "bauer-original",
    "bauer-modified",
    "nesms",
    "van-der-linden",
)
_DECIMALS = 4


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, _DECIMALS)


def _stats(d: Described, *, median: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"mean": _r(d.mean), "sd": _r(d.sd), "min": _r(d.minimum)}
    out["max"] = _r(d.maximum)
    if median:
        out["median"] = _r(d.median)
    return out


def _counts(items: Sequence[str]) -> dict[str, int]:
    return dict(sorted(Counter(items).items(), key=lambda kv: (-kv[1], kv[0])))


NOT_SETTLED = "not settled"


def _primary_sites(outcomes: Sequence[PatientOutcome], issues: list[str]) -> dict[str, int]:
    sites: list[str] = []
    for o in outcomes:
        found = sorted(set(o.primary_sites)) or ["unknown"]
        if len(found) > 1:
            # Each patient once, so that the rows add up to the cohort: a code such as C76.8
            # may be seventeen site groups, two unlinked primaries are two.
            listed = ", ".join(found)
            issues.append(
                f"Patient/{o.patient}: several possible primary sites ({listed}); counted "
                f"once, under '{NOT_SETTLED}'."
            )
            found = [NOT_SETTLED]
        sites += found
    return _counts(sites)


def _levels(outcomes: Sequence[PatientOutcome]) -> dict[str, int]:
    counted = Counter(level for o in outcomes for level in set(o.treated_levels))
    return {level: counted[level] for level in sorted(counted, key=level_order)}


def survival_input(outcomes: Sequence[PatientOutcome]) -> tuple[list[float], list[bool]]:
    times: list[float] = []
    died: list[bool] = []
    for o in outcomes:
        if o.survival is not None:
            times.append(o.survival[0])
            died.append(o.survival[1])
    return times, died


def at_risk_table(times: Sequence[float], every: int = 6) -> list[dict[str, int]]:
    """Patients still followed at 0, 6, 12 … months, up to the longest follow-up."""
    if not times:
        return []
    last = int(max(times) // every) * every
    return [
        {"months": m, "at_risk": sum(1 for t in times if t >= m)} for m in range(0, last + 1, every)
    ]


def _survival(outcomes: Sequence[PatientOutcome], issues: list[str]) -> dict[str, Any]:
    for o in outcomes:
        if o.died and o.death is None and o.death_recorded is None:
            issues.append(
                f"Patient/{o.patient}: deceased without a date; counted in deaths, "
                "left out of survival and follow-up."
            )
    times, died = survival_input(outcomes)
    km: KaplanMeier = kaplan_meier(times, died)
    return {
        "median_months": _r(km.median_months),
        "median_reached": km.median_reached,
        "patients": km.patients,
        # Beside the contract's keys: deaths left out of the curve (no date), which the median
        # is never said without (cohort.text.median_survival).
        "undated_deaths": sum(1 for o in outcomes if o.died and o.death is None),
        # Of those, dated by a month or year that holds the index day (no day can be given).
        "undated_partial": sum(
            1 for o in outcomes if o.died and o.death is None and o.death_recorded is not None
        ),
        # Deaths dated by a month or year alone, counted at the earliest day they can be: the
        # median is then a bound ("or later").
        "deaths_at_earliest": sum(
            1 for o in outcomes if o.died and o.death is not None and o.death_recorded is not None
        ),
        "curve": [
            {
                "months": _r(p.months),
                "survival": _r(p.survival),
                "at_risk": p.at_risk,
                "events": p.events,
            }
            for p in km.curve
        ],
        "at_risk_table": at_risk_table(times),
    }


def _complications(outcome: PatientOutcome, *, confirmed: bool) -> set[str]:
    """The kinds of complication a patient had (``confirmed``: confirmed and dated after the
    index procedure), or has recorded only as unconfirmed or with no date (a kind also certain
    is not)."""
    certain = {c.kind for c in outcome.complications if c.certain}
    if confirmed:
        return certain
    return {c.kind for c in outcome.complications if not c.certain} - certain


def _scores(outcomes: Sequence[PatientOutcome]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in COHORT_SCORES:
        scores = [s for o in outcomes if (s := o.score(code)) is not None]
        certain = describe([s.low for s in scores if s.certain])
        out[code] = {"n": len(scores), "n_certain": certain.n, **_stats(certain)}
    return out


def _outcomes(outcomes: Sequence[PatientOutcome]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for measure in MEASURES:
        rows = []
        for tp in TIME_POINTS:
            values = [v for o in outcomes if (v := o.trajectory(measure).value(tp)) is not None]
            d = describe(values)
            rows.append({"time_point": tp, "n": d.n, "mean": _r(d.mean), "sd": _r(d.sd)})
        out[measure] = rows
        complete = [o.trajectory(measure) for o in outcomes if o.trajectory(measure).complete]
        test = repeated_measures([[p.value for p in t.points if p] for t in complete])
        out[f"{measure}_test"] = (
            None
            if test is None
            else {
                "test": test.test,
                "n": test.n,
                "statistic": _r(test.statistic),
                "p": float(f"{test.p:.4g}"),
                "df": [test.df_num, test.df_den],
            }
        )
    return out


def cohort_summary(
    outcomes: Sequence[PatientOutcome], issues: Sequence[str] = ()
) -> dict[str, Any]:
    """The cohort object of ``spinemets cohort --format json`` (contract §6)."""
    notes = list(issues)
    ages = describe([o.age_years for o in outcomes if o.age_years is not None])
    cement = describe([o.cement_ml for o in outcomes if o.cement_ml is not None])
    follow = describe([m for o in outcomes if (m := o.follow_up_months) is not None])
    return {
        "n": len(outcomes),
        "sex": _counts([o.sex or "unknown" for o in outcomes]),
        "age_years": {**_stats(ages), "patients": ages.n},
        "primary_sites": _primary_sites(outcomes, notes),
        "levels_treated": _levels(outcomes),
        # Beside the contract's keys: patients whose treated level is not recorded (§6, never
        # counted under the procedure's own levels).
        "levels_treated_not_recorded": sum(1 for o in outcomes if not o.treated_levels),
        "cement_ml": {
            "median": _r(cement.median),
            "min": _r(cement.minimum),
            "max": _r(cement.maximum),
            "patients": cement.n,
        },
        "follow_up_months": {**_stats(follow, median=True), "patients": follow.n},
        "deaths": sum(1 for o in outcomes if o.died),
        "survival": _survival(outcomes, notes),
        "scores": _scores(outcomes),
        "outcomes": _outcomes(outcomes),
        "complications": _counts(
            [kind for o in outcomes for kind in sorted(_complications(o, confirmed=True))]
        ),
        # Beside the contract's keys: patients with a complication recorded only as unconfirmed
        # (provisional, differential): may or may not have happened, never counted above.
        "complications_unconfirmed": _counts(
            [kind for o in outcomes for kind in sorted(_complications(o, confirmed=False))]
        ),
        "issues": notes,
    }
