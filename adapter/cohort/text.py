"""The cohort report as plain text (``spinemets cohort --format text``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapter.vocabulary.outcomes import MEASURE_TITLES, TREATED_NOT_RECORDED
from adapter.vocabulary.text import terminal_line

__all__ = ["cohort_text", "median_bound", "median_survival"]

_LABELS = {"baseline": "before", "7d": "7 days", "3mo": "3 months", "6mo": "6 months"}


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _unrecorded(s: Mapping[str, Any]) -> str:
    n = s.get("levels_treated_not_recorded", 0)
    return f"; {TREATED_NOT_RECORDED} {n}" if n else ""


def _outcome_lines(s: Mapping[str, Any]) -> list[str]:
    lines = []
    for measure, title in MEASURE_TITLES.items():
        shown = " → ".join(
            f"{_LABELS[r['time_point']]} {_f(r['mean'])} ± {_f(r['sd'])} (n {r['n']})"
            for r in s["outcomes"][measure]
        )
        lines.append(f"  {title}: {shown}")
        test = s["outcomes"][f"{measure}_test"]
        if test:
            lines.append(
                f"    {test['test']}, {test['n']} complete patients: "
                f"F = {test['statistic']:.2f}, p = {test['p']:.2g}"
            )
        else:
            lines.append("    no repeated-measures test: too few complete patients")
    return lines


def median_survival(s: Mapping[str, Any]) -> str:
    """The Kaplan–Meier median as every report says it. Deaths without a date are left out of the
    curve (contract §6); as events at unknown times they could only bring the median earlier, so
    a median reached is a bound, and one not reached cannot be said at all."""
    surv = s["survival"]
    if surv["median_reached"]:
        return f"{_f(surv['median_months'])} months{median_bound(s)}"
    undated = surv.get("undated_deaths", 0)
    if not undated:
        return "not reached"
    partial = surv.get("undated_partial", 0)
    if partial:
        return (
            f"cannot be estimated: {undated} of {s['deaths']} deaths cannot be placed in time "
            f"({partial} dated by a month or year that holds the index procedure)"
        )
    return f"cannot be estimated: {undated} of {s['deaths']} deaths have no date"


def median_bound(s: Mapping[str, Any]) -> str:
    """What follows a median reached: " or earlier (2 deaths without a date left out of the
    curve)", or nothing when every death has its date."""
    undated = s["survival"].get("undated_deaths", 0)
    earliest = s["survival"].get("deaths_at_earliest", 0)
    left_out = (
        f"{_deaths(undated)} that cannot be placed in time left out of the curve"
        if s["survival"].get("undated_partial", 0)
        else f"{_deaths(undated)} without a date left out of the curve"
    )
    at_earliest = f"{_deaths(earliest)} dated by month or year counted at their earliest day"
    if undated and earliest:
        return f" (neither a lower nor an upper bound: {left_out}, {at_earliest})"
    if earliest:
        return f" or later ({at_earliest})"
    return f" or earlier ({left_out})" if undated else ""


def _deaths(n: int) -> str:
    return f"{n} death" if n == 1 else f"{n} deaths"


def covered(patients: int, n: int) -> str:
    """ " (12 of 20 patients)" when a figure covers fewer than the cohort, else nothing."""
    return f" ({patients} of {n} patients)" if patients < n else ""


def cohort_text(s: Mapping[str, Any]) -> str:
    """What a surgeon reads: the Table 4 summary, survival, scores and outcomes."""
    age, cement, follow, surv = s["age_years"], s["cement_ml"], s["follow_up_months"], s["survival"]
    median = median_survival(s)
    shown = surv["patients"] < s["n"]
    curve = f"; curve of {surv['patients']} of {s['n']} patients" if shown else ""
    lines = [
        f"Cohort: {s['n']} patients with an index procedure",
        f"  Sex: {_counts(s['sex'])}",
        f"  Age: {_f(age['mean'])} ± {_f(age['sd'])} years (range {_f(age['min'])}–"
        f"{_f(age['max'])}){covered(age['patients'], s['n'])}",
        f"  Primary sites: {_counts(s['primary_sites'])}",
        f"  Treated levels (patients): {_counts(s['levels_treated'])}{_unrecorded(s)}",
        f"  Cement: median {_f(cement['median'])} mL (range {_f(cement['min'])}–"
        f"{_f(cement['max'])}, {cement['patients']} patients)",
        f"  Follow-up: mean {_f(follow['mean'])} months (range {_f(follow['min'])}–"
        f"{_f(follow['max'])}){covered(follow['patients'], s['n'])}",
        f"  Deaths: {s['deaths']}",
        f"  Kaplan–Meier median survival: {median}{curve}",
    ]
    lines += [
        f"    {_f(p['months'])} months: survival {_f(p['survival'])}, at risk {p['at_risk']}, "
        f"deaths {p['events']}"
        for p in surv["curve"]
    ]
    lines.append("  Scores at the index date (certain totals):")
    for code, d in s["scores"].items():
        lines.append(
            f"    {code}: {_f(d['mean'])} ± {_f(d['sd'])} (range {_f(d['min'])}–{_f(d['max'])}; "
            f"{d['n_certain']} of {d['n']} certain)"
        )
    lines += _outcome_lines(s)
    unconfirmed = s.get("complications_unconfirmed") or {}
    # Recorded as unconfirmed, or with no date (not known to be after the index procedure).
    maybe = f"; unconfirmed or undated: {_counts(unconfirmed)}" if unconfirmed else ""
    # "none recorded": the complication codes read are few (mappings/README.md), so no more is
    # known than that none of them is recorded.
    found = _counts(s["complications"]) if s["complications"] else "none recorded"
    lines.append(f"  Complications: {found}{maybe}")
    lines += [f"  issue: {i}" for i in s["issues"]]
    return "\n".join(terminal_line(line) for line in lines)
