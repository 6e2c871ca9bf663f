"""The cohort report (``spinemets cohort --html FILE``): Table 4, survival, pain and Barthel.

Every number is taken from the cohort object that ``--format json`` prints, so the page and the
JSON cannot disagree; the page shows two decimals. Cells that carry a JSON figure name it in a
``data-key`` attribute (the browser tests read them back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from adapter.cohort.text import covered, median_bound, median_survival
from adapter.outcomes import TIME_POINTS
from adapter.render.html import fmt, page, table
from adapter.render.patient import TIME_POINT_LABELS
from adapter.render.plots import Series, km_svg, series_svg
from adapter.vocabulary import MORE_SCORES
from adapter.vocabulary.outcomes import MEASURE_TITLES, TREATED_NOT_RECORDED

__all__ = ["cohort_page"]

_SCORE_TITLES = {
    "sins": "SINS (worst level)",
    "tomita": "Tomita",
    "tokuhashi-revised": "Revised Tokuhashi",
    **{spec.code: spec.title for spec in MORE_SCORES},
}
_PLAIN = {"esophagus": "oesophagus", "uterus": "uterus (cervix, corpus)"}


def _num(key: str, value: float | int | None) -> str:
    return f'<td class="num" data-key="{escape(key)}">{fmt(value)}</td>'


def _table4(s: Mapping[str, Any]) -> str:
    age, cement, follow = s["age_years"], s["cement_ml"], s["follow_up_months"]
    rows: list[tuple[str, ...]] = [
        ("Patients", _num("n", s["n"]), ""),
        *(
            (f"Sex: {escape(sex)}", _num(f"sex.{sex}", count), "")
            for sex, count in s["sex"].items()
        ),
        (
            "Age, years (mean ± SD)",
            _num("age_years.mean", age["mean"]),
            f'± <span data-key="age_years.sd">{fmt(age["sd"])}</span>; range '
            f"{fmt(age['min'])}–{fmt(age['max'])}{covered(age['patients'], s['n'])}",
        ),
        *(
            (f"Primary: {escape(_PLAIN.get(site, site))}", _num(f"primary_sites.{site}", count), "")
            for site, count in s["primary_sites"].items()
        ),
        (
            "Cement (PMMA), mL, median",
            _num("cement_ml.median", cement["median"]),
            f'range <span data-key="cement_ml.min">{fmt(cement["min"])}</span>–'
            f'<span data-key="cement_ml.max">{fmt(cement["max"])}</span>; '
            f"{cement['patients']} patients",
        ),
        (
            "Follow-up, months (mean)",
            _num("follow_up_months.mean", follow["mean"]),
            f'range <span data-key="follow_up_months.min">{fmt(follow["min"])}</span>–'
            f'<span data-key="follow_up_months.max">{fmt(follow["max"])}</span>'
            f"{covered(follow['patients'], s['n'])}",
        ),
        ("Deaths", _num("deaths", s["deaths"]), ""),
    ]
    levels = ", ".join(
        f'{escape(lv)} <span data-key="levels_treated.{escape(lv)}">{n}</span>'
        for lv, n in s["levels_treated"].items()
    )
    return (
        "<h2>Patients (the seed's Table 4)</h2>"
        + table(("", "Value", "Detail"), rows)
        + f"<p>Treated levels (patients per level): {levels or 'none'}{_unrecorded(s)}.</p>"
    )


def _unrecorded(s: Mapping[str, Any]) -> str:
    n = s.get("levels_treated_not_recorded", 0)
    key = '<span data-key="levels_treated_not_recorded">'
    return f"; {TREATED_NOT_RECORDED} {key}{n}</span>" if n else ""


def _scores(s: Mapping[str, Any]) -> str:
    rows = []
    for code, d in s["scores"].items():
        rows.append(
            (
                escape(_SCORE_TITLES.get(code, code)),
                f'<td class="num">{d["n"]}</td>',
                _num(f"scores.{code}.n_certain", d["n_certain"]),
                _num(f"scores.{code}.mean", d["mean"]),
                _num(f"scores.{code}.sd", d["sd"]),
                f'<td class="num">{fmt(d["min"])}–{fmt(d["max"])}</td>',
            )
        )
    return (
        "<h2>Scores at the index date</h2>"
        + table(("Score", "Patients", "Certain total", "Mean", "SD", "Range"), rows)
        + '<p class="muted">Over the patients whose total is certain (not a range).</p>'
    )


def _step_at(curve: Sequence[Mapping[str, Any]], months: float) -> float:
    value = 1.0
    for point in curve:
        if point["months"] <= months:
            value = point["survival"]
    return value


def _survival(s: Mapping[str, Any], times: Sequence[tuple[float, bool]]) -> str:
    surv = s["survival"]
    curve = surv["curve"]
    censored = [(t, _step_at(curve, t)) for t, died in times if not died]
    said = median_survival(s)
    median = (
        f'<span data-key="survival.median_months">{fmt(surv["median_months"])}</span> months'
        f"{escape(median_bound(s))}"
        if surv["median_reached"]
        else f'<span data-key="survival.median_months">{escape(said)}</span>'
    )
    last = max((t for t, _ in times), default=0.0)
    label = (
        f"Kaplan–Meier survival from the index procedure, {surv['patients']} of {s['n']} "
        f"patients, {s['deaths']} deaths; median survival {said}."
    )
    svg = km_svg([(p["months"], p["survival"]) for p in curve], censored, label=label, last=last)
    points = table(
        ("Months", "Survival", "At risk", "Deaths"),
        [
            (
                f'<span data-key="survival.curve.{i}.months">{fmt(p["months"])}</span>',
                _num(f"survival.curve.{i}.survival", p["survival"]),
                _num(f"survival.curve.{i}.at_risk", p["at_risk"]),
                _num(f"survival.curve.{i}.events", p["events"]),
            )
            for i, p in enumerate(curve)
        ],
        caption="Kaplan–Meier estimate at each death",
    )
    at_risk = table(
        ("Months", *(str(r["months"]) for r in surv["at_risk_table"])),
        [("At risk", *(f'<td class="num">{r["at_risk"]}</td>' for r in surv["at_risk_table"]))],
        caption="Number at risk",
    )
    return (
        "<h2>Survival</h2>"
        f"<p>Median survival: <strong>{median}</strong> (the first time the curve is at or below "
        "0.5). Deaths are events; the others are censored at their last follow-up.</p>"
        f"<figure>{svg}{at_risk}<figcaption>{escape(label)}</figcaption></figure>{points}"
    )


def _measure(s: Mapping[str, Any], measure: str, title: str, y_range: tuple[float, float]) -> str:
    rows = s["outcomes"][measure]
    series = Series(
        "Mean ± SD", list(range(len(rows))), [r["mean"] for r in rows], [r["sd"] for r in rows]
    )
    label = f"{title}, mean ± SD at each time point"
    svg = series_svg(
        [series],
        label=label,
        ticks=[TIME_POINT_LABELS[r["time_point"]] for r in rows],
        y_label=title,
        y_range=y_range,
    )
    body = table(
        ("Time point", "Patients", "Mean", "SD"),
        [
            (
                TIME_POINT_LABELS[r["time_point"]],
                _num(f"outcomes.{measure}.{i}.n", r["n"]),
                _num(f"outcomes.{measure}.{i}.mean", r["mean"]),
                _num(f"outcomes.{measure}.{i}.sd", r["sd"]),
            )
            for i, r in enumerate(rows)
        ],
    )
    test = s["outcomes"].get(f"{measure}_test")
    said = (
        f"{escape(test['test'])} over the {test['n']} patients measured at every time point: "
        f"F = {fmt(test['statistic'])}, p = {test['p']:.2g}."
        if test
        else "No repeated-measures test: too few patients measured at every time point."
    )
    return (
        f"<h3>{escape(title)}</h3><div class='layout'><figure>{svg}<figcaption>{escape(label)}"
        f"</figcaption></figure><div>{body}<p>{said}</p></div></div>"
    )


def cohort_page(
    summary: Mapping[str, Any], survival_times: Sequence[tuple[float, bool]], *, computed: str
) -> str:
    """The cohort report as a self-contained HTML document."""
    assert tuple(r["time_point"] for r in summary["outcomes"]["pain"]) == TIME_POINTS
    complications = summary["complications"]
    listed = ", ".join(f"{escape(k.replace('-', ' '))}: {n}" for k, n in complications.items())
    unconfirmed = summary.get("complications_unconfirmed") or {}
    if unconfirmed:
        maybe = ", ".join(f"{escape(k.replace('-', ' '))}: {n}" for k, n in unconfirmed.items())
        listed = (
            f"{listed or 'None confirmed'}. Recorded as unconfirmed or with no date, not counted: "
            f"{maybe}"
        )
    issues = "".join(f"<li>{escape(i)}</li>" for i in summary["issues"])
    body = (
        _table4(summary)
        + _scores(summary)
        + _survival(summary, survival_times)
        + "<h2>Pain and independence over time</h2>"
        + _measure(summary, "pain", MEASURE_TITLES["pain"], (0.0, 10.5))
        + _measure(summary, "barthel", MEASURE_TITLES["barthel"], (0.0, 105.0))
        + f"<h2>Complications</h2><p>{listed or 'None recorded since the index procedures.'}</p>"
        + (f"<h2>Issues</h2><ul>{issues}</ul>" if issues else "")
    )
    return page(
        f"Cohort report: {summary['n']} patients",
        body,
        subtitle=f"Computed {computed} by spinemets.",
    )
