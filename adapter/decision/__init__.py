"""One set of decisions per patient (contract §4 v3 "one decision, every surface").

The neurology alert, the deceased rule, the procedure-check verdicts and the texts of the score
summaries are computed here once, from the pipeline's result, and the cards, the text report and
the page render them — nothing else: a rule changed here changes every surface.

Each concern is one field of :class:`Decisions`, so a rule plugs in where it belongs:
``neurology`` (adapter/decision/neurology.py), ``orders`` (adapter/decision/orders.py over
adapter/procedure/), ``sins`` and ``levels`` (the per-level SINS readings and their treated
state, most serious first) and ``deceased``.
A deceased patient gets no recommendation anywhere: no neurology alert, no order judged against
the criteria (each order is a warning to check the patient's identity).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from adapter.decision.neurology import (
    NEUROLOGY_ACTION,
    STEROID_PROMPT,
    NeurologyAlert,
    NeurologyItem,
    neurology_alert,
)
from adapter.decision.noms import stable_verdicts
from adapter.decision.orders import Indicator, OrderDecision, order_decisions
from adapter.decision.sins import SinsDecision, recommendation, sins_decision
from adapter.decision.unplaced import Unplaced, unplaced_sins
from adapter.decision.wording import HAEMATOLOGICAL_CAVEAT, unvalidated
from adapter.fhir.read.evidence import on_day
from adapter.mapping.rules import DEFAULT_RULES, Rules
from adapter.pipeline import NO_SCORE_BECAUSE, NOT_METASTATIC, PatientResult
from adapter.procedure.check import check_orders
from adapter.procedure.orders import Order
from adapter.report import ScoreSummary, summarise
from adapter.vocabulary import SINS
from adapter.vocabulary.text import deceased_heading

__all__ = [
    "HAEMATOLOGICAL_CAVEAT",
    "NEUROLOGY_ACTION",
    "STEROID_PROMPT",
    "Deceased",
    "Decisions",
    "Indicator",
    "NeurologyAlert",
    "NeurologyItem",
    "OrderDecision",
    "decide",
    "has_spinal_disease",
    "neurology_alert",
]


@dataclass(frozen=True, slots=True)
class Deceased:
    """The record says the patient had died by the computation time."""

    day: str | None  # "3 Dec 2026"; None when the record gives no date

    @property
    def when(self) -> str:
        return self.day or "date not recorded"

    @property
    def heading(self) -> str:
        """How every surface says it: "Deceased 3 Dec 2026"."""
        return deceased_heading(self.day)


@dataclass(frozen=True, slots=True)
class Decisions:
    """What every surface shows about one patient, decided once."""

    result: PatientResult
    deceased: Deceased | None
    neurology: NeurologyAlert | None  # None for a deceased patient: no recommendation
    orders: tuple[OrderDecision, ...]
    sins: tuple[ScoreSummary, ...]  # one per scored level, in the order of ``levels``
    prognosis: tuple[ScoreSummary, ...]  # Tomita, revised (and original) Tokuhashi
    haematological: bool  # myeloma, plasmacytoma, lymphoma or leukaemia: prognosis not validated
    levels: SinsDecision  # each level's indicator, headline and treated state (decision/sins.py)
    # The record shows a spinal lesion or a neurology alert (deceased or not): otherwise the
    # services stay silent, as scoring every chart opened would put ranges on everyone.
    spinal: bool = True
    unplaced: Unplaced | None = None  # no level scored, a metastasis without a level recorded

    @property
    def summaries(self) -> tuple[ScoreSummary, ...]:
        """The scores a report or page shows: none for a record with no bone metastasis, as
        its files hold none (:attr:`not_scored` says why)."""
        if self.not_scored is not None:
            return ()
        return (*self.sins, *self.prognosis)

    @property
    def not_scored(self) -> str | None:
        """Why no score is shown, for a record with no bone metastasis: a Tomita band's strategy
        beside a primary with no spinal lesion would read as an indication."""
        if self.result.metastatic:
            return None
        said = NOT_METASTATIC[0].upper() + NOT_METASTATIC[1:]
        return f"{said}: no score shown ({NO_SCORE_BECAUSE})"

    def shows_band(self, summary: ScoreSummary) -> bool:
        """Whether a surface shows the score's band: never a prognostic band of a deceased
        patient, whose label is itself a strategy or a survival ("terminal care", "predicted
        survival ≥ 6 months"); SINS describes the spine and stays."""
        return self.deceased is None or summary.result.spec is SINS

    def heading(self, summary: ScoreSummary) -> str:
        """A score's heading as every surface shows it: "Tomita: 10 — terminal care", or the
        total alone where the band is not shown."""
        return summary.heading if self.shows_band(summary) else summary.total_heading

    def advice(self, summary: ScoreSummary) -> str:
        """What a score's detail recommends: for a SINS level, what its treated or unassessed
        state means (a treated level is never re-scored into a consultation)."""
        level = self.levels.at(summary.level) if summary.level else None
        return recommendation(level, summary.recommendation) if level else summary.recommendation


def _deceased(result: PatientResult) -> Deceased | None:
    if result.assessment.deceased is None:
        return None
    record = result.assessment.record
    time = record.deceased_time if record is not None else None
    return Deceased(time.day if time is not None else None)


def _prognosis(summaries: Sequence[ScoreSummary], haematological: bool) -> tuple[ScoreSummary, ...]:
    if not haematological:
        return tuple(summaries)
    return tuple(replace(s, title=unvalidated(s.title, True)) for s in summaries)


def _as_shown(summary: ScoreSummary, view: SinsDecision) -> ScoreSummary:
    """A treated level's band, as every surface says it: from the findings it rests on, as
    recorded before the treatment, after it, or not known to be either."""
    level = view.at(summary.level) if summary.level else None
    if level is None or level.treatment is None or level.in_worst_choice:
        return summary
    done, assessment = level.treatment, level.level.assessment
    if assessment.after is not None:  # a fixed level, re-assessed after every treatment there
        band = f"from findings after the {done.dated}"
    elif (unsure := assessment.unordered) is not None:
        band = f"from findings not known to be before or after the {unsure.name}"
        band += on_day(unsure.time.day)
    else:
        band = f"as recorded before the {done.dated}"
    return replace(summary, band=band)


def decide(
    result: PatientResult,
    orders: Sequence[Order] = (),
    rules: Rules = DEFAULT_RULES,
    decompressing: Collection[str] = (),
    request: Sequence[Order] = (),
) -> Decisions:
    """The decisions of one patient: the neurology alert, the deceased rule, each order's verdict
    (``decompressing``: the levels a decompression order of the same request names; ``request``:
    the request's spine orders, those not asked about included) and the score summaries."""
    deceased = _deceased(result)
    alert = neurology_alert(result, rules)
    summaries = summarise(result)
    count = len(result.levels)
    haematological = result.assessment.haematological
    view = stable_verdicts(sins_decision(result), result)
    by_level = {s.level: _as_shown(s, view) for s in summaries[:count]}
    checks = check_orders(orders, result, rules, frozenset(decompressing), request)
    return Decisions(
        result=result,
        deceased=deceased,
        neurology=alert if deceased is None else None,
        orders=order_decisions(checks),
        sins=tuple(by_level[lv.name] for lv in view.levels if lv.name in by_level),
        prognosis=_prognosis(summaries[count:], haematological),
        haematological=haematological,
        levels=view,
        spinal=alert is not None or has_spinal_disease(result),
        unplaced=unplaced_sins(result),
    )


def has_spinal_disease(result: PatientResult) -> bool:
    """Whether the record shows spinal metastasis at all: otherwise the scores say nothing."""
    assessment = result.assessment
    return bool(result.levels or assessment.unscored or assessment.tokuhashi.vertebral_count.known)
