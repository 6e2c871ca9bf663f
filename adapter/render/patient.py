"""One patient's page (``spinemets score --format html``, and the SMART app's): the header that
names the patient (render.header), the decisions first (deceased,
suspected cord compression, each spine order's verdict, as the cards and the text report show
them), then the spine, each score, the outcomes.

Like the text report, the page is a full listing of the record and names the resource each input
came from; every date reads "3 Dec 2026". A deceased patient's page shows no recommendation.
"""

from __future__ import annotations

from html import escape

from adapter.decision import NEUROLOGY_ACTION, Decisions
from adapter.decision.noms import noms_view
from adapter.decision.outcome import OutcomeView, follow_up_words, outcome_view
from adapter.decision.sins import fracture_since
from adapter.decision.unplaced import UNPLACED_HEADLINE, UNPLACED_SETTLE
from adapter.decision.wording import readable_dates
from adapter.fhir.read.evidence import on_day
from adapter.mapping.levels import unscored_line
from adapter.mapping.treatments import Treatment
from adapter.outcomes import TIME_POINTS
from adapter.pipeline import PatientResult, recorded_unstable
from adapter.render.header import computed_text, patient_header
from adapter.render.html import fmt, page, table
from adapter.render.noms import noms_section
from adapter.render.plots import Series, series_svg
from adapter.render.spine import FIXED, NOT_ASSESSED, spine_svg
from adapter.report import ScoreSummary
from adapter.vocabulary.outcomes import MEASURE_TITLES
from adapter.vocabulary.specs import NOT_SETTLED, TO_SETTLE_HEADING

__all__ = ["TIME_POINT_LABELS", "patient_body", "patient_page"]

TIME_POINT_LABELS = {"baseline": "Before", "7d": "7 days", "3mo": "3 months", "6mo": "6 months"}


def _band_class(summary: ScoreSummary) -> str:
    band = summary.result.band
    return f"band band-{band.code}" if band is not None else "band"


def _key(summary: ScoreSummary) -> str:
    return summary.result.code + (f"-{summary.level}" if summary.level else "")


def _advice(decisions: Decisions, summary: ScoreSummary) -> str | None:
    """What the score recommends (a treated level's state included); None when deceased."""
    return decisions.advice(summary) if decisions.deceased is None else None


def _glance(decisions: Decisions) -> str:
    items = "".join(
        f'<li><a href="#score-{escape(_key(s))}">{escape(decisions.heading(s))}</a>'
        + (f'<br><span class="muted">{escape(a)}</span>' if (a := _advice(decisions, s)) else "")
        + "</li>"
        for s in decisions.summaries
    )
    return f"<ul>{items}</ul>"


def _items(items: tuple[str, ...]) -> str:
    """What an order's card would add to its line: the page holds no card."""
    return (
        f'<ul class="order-items">{"".join(f"<li>{escape(i)}</li>" for i in items)}</ul>'
        if items
        else ""
    )


def _decisions(decisions: Decisions) -> str:
    """What heads the page, as it heads the cards: deceased, cord compression, the orders."""
    parts = []
    if decisions.deceased is not None:
        parts.append(
            f'<section class="decision decision-deceased" id="deceased" '
            f'data-deceased="{escape(decisions.deceased.day or "")}">'
            f"<h2>{escape(decisions.deceased.heading)}</h2><p>No score, strategy or "
            "recommendation applies to a deceased patient; if this is wrong, correct the "
            "record.</p></section>"
        )
    alert = decisions.neurology
    if alert is not None:
        sources = "".join(f"<li>{escape(src)}</li>" for src in alert.sources)
        items = "".join(
            f"<li>{escape(item.indicator or 'listed')}: {escape(item.text)}</li>"
            for item in alert.items
        )
        action = f"<p><strong>{escape(NEUROLOGY_ACTION)}</strong></p>" if alert.critical else ""
        steroid = f"<p><strong>{escape(alert.steroid)}</strong></p>" if alert.steroid else ""
        parts.append(
            f'<section class="decision decision-{alert.indicator}" id="neurology" role="alert" '
            f'data-neurology="{alert.indicator}"><h2>{escape(alert.summary)}</h2>'
            f"{action}{steroid}<ul>{items}</ul>"
            f'<ul class="sources">{sources}</ul></section>'
        )
    if decisions.orders:
        items = "".join(
            f'<li data-order="{escape(o.reference)}" data-verdict="{o.indicator}">'
            f'<span class="verdict verdict-{o.indicator}">{o.indicator}</span> '
            f"{escape(o.listed)}{_items(o.items)}</li>"
            for o in decisions.orders
        )
        parts.append(
            f'<section class="decision" id="orders"><h2>Spine orders checked</h2>'
            f"<ul>{items}</ul></section>"
        )
    return "".join(parts)


def _score(summary: ScoreSummary, recommendation: str | None, shows_band: bool = True) -> str:
    key = _key(summary)
    band = (summary.band or NOT_SETTLED) if shows_band else ""
    rows = []
    said: set[str] = set()  # a note several components carry (a fracture since) is said once
    for comp in summary.components:
        sources = "".join(f"<li>{escape(s)}</li>" for s in comp.sources)
        fresh = [n for n in comp.notes if n not in said]
        said.update(fresh)
        notes = "".join(f"<li><em>{escape(readable_dates(n))}</em></li>" for n in fresh)
        listed = f'<ul class="sources">{sources}{notes}</ul>' if sources or notes else "—"
        rows.append((escape(comp.name), f'<td class="num">{escape(comp.value)}</td>', listed))
    missing = ""
    if summary.missing:
        items = "".join(f"<li>{escape(m)}</li>" for m in summary.missing)
        missing = f"<h4>{TO_SETTLE_HEADING}</h4><ul>{items}</ul>"
    code = summary.result.band.code if summary.result.band else ""
    advice = f"<p>{escape(recommendation)}</p>" if recommendation else ""
    return (
        f'<section class="score" id="score-{escape(key)}"><h3>{escape(summary.title)}'
        f"{' ' + escape(summary.level) if summary.level else ''}: "
        f'<span data-score="{escape(key)}">{escape(summary.total)}</span> '
        f'<span class="{_band_class(summary)}" data-band="{escape(code)}">{escape(band)}</span>'
        f"</h3>{advice}"
        + table(
            ("Component", "Points", "Source and date"),
            rows,
            label=f"{summary.title}{' ' + summary.level if summary.level else ''}: its inputs",
        )
        + missing
        + "</section>"
    )


def _outcome_rows(view: OutcomeView, measure: str) -> list[tuple[str, ...]]:
    """One row a time point, worded as the outcome card words it (adapter/decision/outcome.py):
    "due from …", "no measurement yet (window until …)", "dated baseline", what else was done."""
    trajectory = view.outcome.trajectory(measure)
    rows: list[tuple[str, ...]] = []
    for point in view.points:
        tp = point.time_point
        chosen = trajectory.at(tp)
        change = trajectory.change(tp) if tp != "baseline" else None
        cell = point.pain if measure == "pain" else point.barthel
        if chosen is not None:
            dated = ", dated baseline" if cell.text.endswith(", dated baseline") else ""
            when = escape(readable_dates(chosen.text) + dated)
            measured = f"{when}<br><span class='muted'>{escape(chosen.source or '')}</span>"
        else:
            measured = escape(cell.text)
        rows.append(
            (
                TIME_POINT_LABELS[tp],
                f'<td class="num" data-outcome="{measure}-{tp}">'
                f"{fmt(chosen.value if chosen else None, 1)}</td>",
                f'<td class="num">{fmt(change, 1) if change is not None else "–"}</td>',
                measured,
                escape("; ".join(point.beside)) or "–",
            )
        )
    return rows


def _outcomes(view: OutcomeView) -> str:
    outcome = view.outcome
    cement = f"{fmt(outcome.cement_ml, 1)} mL" if outcome.cement_ml is not None else "not recorded"
    end = follow_up_words(outcome)
    # Named as the card and the text report name it: its kinds, levels, day, and the other
    # courses of that day.
    parts = [
        "<h2>After the procedure</h2>",
        f"<p>Index procedure: <strong>{escape(view.procedure)}</strong> "
        f"({escape(', '.join(outcome.procedures))}); "
        f"cement {escape(cement)}; {escape(end)}.</p>",
    ]
    x = list(range(len(TIME_POINTS)))
    ticks = [TIME_POINT_LABELS[tp] for tp in TIME_POINTS]
    for measure, title, y_range in (
        ("pain", MEASURE_TITLES["pain"], (0.0, 10.5)),
        ("barthel", MEASURE_TITLES["barthel"], (0.0, 105.0)),
    ):
        values = [outcome.trajectory(measure).value(tp) for tp in TIME_POINTS]
        svg = series_svg(
            [Series(title, x, values)],
            label=f"{title} of {outcome.patient} over time",
            ticks=ticks,
            y_label=title,
            y_range=y_range,
        )
        parts.append('<div class="layout">')
        parts.append(f"<figure>{svg}<figcaption>{escape(title)}</figcaption></figure>")
        parts.append(
            "<div>"
            + table(
                ("Time point", title, "Change from before", "Measured", "Also then"),
                _outcome_rows(view, measure),
            )
            + "</div></div>"
        )
    if outcome.complications:
        items = "".join(
            f"<li>{escape(c.named)} — {escape(c.source or '')}"
            f"{', ' + escape(readable_dates(c.when)) if c.when else ''}</li>"
            for c in outcome.complications
        )
        parts.append(f"<h3>Complications</h3><ul>{items}</ul>")
    else:
        parts.append("<p>No complication recorded since the index procedure.</p>")
    return "".join(parts)


def _nothing_scored(decisions: Decisions) -> str:
    return decisions.not_scored or "No spinal level recorded: nothing to score"


def patient_page(decisions: Decisions) -> str:
    """The whole page of one patient, as a self-contained HTML document: the header that names
    the patient, then the body (:func:`patient_body`)."""
    result = decisions.result
    header = patient_header(result.assessment.record, result.patient)
    return page(
        f"Patient {result.patient}",
        header + patient_body(decisions),
        subtitle=f"Computed {computed_text(result.now)} by spinemets.",
    )


def _treated(result: PatientResult) -> dict[str, str]:
    """Each treated level and what was done there, as the spine drawing names it: the spinal
    procedures at it ("fixation on 20 May 2024"), else the outcome's index procedure."""
    done: dict[str, list[str]] = {}
    for t in result.assessment.treatments:
        when = on_day(t.time.day)
        for level in t.levels:
            done.setdefault(level, []).append(f"{t.name}{when}")
        for level in t.bridged:  # screws above and below it, none in it
            done.setdefault(level, []).append(f"bridged by the {t.name}{when}")
    index = result.outcome.treated_levels if result.outcome else ()
    out = {
        **dict.fromkeys(index, "the procedure followed"),
        **{level: "; ".join(dict.fromkeys(named)) for level, named in done.items()},
    }
    return out


def _before(treatment: Treatment, unordered: Treatment | None) -> str:
    """How the drawing says a level's score is from before its treatment (or of an order not
    known against it, as the card says it)."""
    if unordered is not None:
        return f"not known to be before or after the {unordered.name}"
    return f"before the {treatment.name}"


def patient_body(decisions: Decisions) -> str:
    """The page without its header: decisions, the spine, the scores, outcomes, issues (the
    SMART app shows it under its own header and navigation)."""
    result = decisions.result
    summaries = decisions.summaries
    # A treated level with a fracture coded since its picture: no band is drawn for it now.
    scored = {
        lv.assessment.level: (
            str(lv.result.total),
            lv.result.band.code if lv.result.band and fracture_since(lv) is None else None,
        )
        for lv in result.levels
    }
    treated = _treated(result)
    unscored = "".join(
        f"<li>{escape(unscored_line(label, reason))}</li>"
        for label, reason in result.assessment.unscored
    )
    body = [
        _decisions(decisions),
        '<div class="layout"><figure>',
        # As the SINS card shows each level: one fixed with screws (or bridged by them) is not
        # banded, SINS does not apply there; one shown from before its treatment says so.
        spine_svg(
            scored,
            treated,
            {
                lv.name: FIXED if lv.state == "fixed" else NOT_ASSESSED
                for lv in decisions.levels.levels
                if lv.state in ("fixed", "not-assessed") or not lv.assessed
            },
            {
                lv.name: _before(lv.treatment, lv.level.assessment.unordered)
                for lv in decisions.levels.levels
                if lv.state == "before-treatment" and lv.treatment is not None
            },
            {
                lv.name: verdict
                for lv in decisions.levels.levels
                if (verdict := recorded_unstable(lv.level, day=False)) is not None
            },
            {
                lv.name: caution
                for lv in decisions.levels.levels
                if (caution := lv.with_cement) is not None
            },
        ),
        "<figcaption>SINS per level (colour and words give the band)"
        + ("; ● treated level" if treated else "")
        + "</figcaption></figure><div><h2>At a glance</h2>",
        _glance(decisions) if summaries else f"<p>{escape(_nothing_scored(decisions))}.</p>",
    ]
    if decisions.unplaced is not None:
        body.append(f"<p>{escape(UNPLACED_HEADLINE)}; {escape(UNPLACED_SETTLE)}.</p>")
    if unscored:
        body.append(f"<ul>{unscored}</ul>")
    body.append("</div></div>")
    if summaries:
        body.append("<h2>Scores, with their inputs</h2>")
    body += [_score(s, _advice(decisions, s), decisions.shows_band(s)) for s in summaries]
    shows_noms = decisions.deceased is None and decisions.not_scored is None
    body.append(noms_section(noms_view(result)) if shows_noms else "")
    view = outcome_view(result)
    if view is not None:
        body.append(_outcomes(view))
    if result.issues:
        items = "".join(
            f"<li>{escape(i.severity)}: {escape(readable_dates(i.diagnostics))}</li>"
            for i in result.issues
        )
        body.append(f"<h2>Issues in the input</h2><ul>{items}</ul>")
    return "".join(body)
