"""The procedure check as a card (contract §5): one card per draft order, rendering the verdict
decided once in :mod:`adapter.decision.orders` (indicator and summary, the same on the text
report and the page); the detail lists each level's criteria.

Critical when a neurological deficit or high-grade compression is recorded at a treated level
(the card says to assess for decompression and radiotherapy first); a warning when any criterion
is unmet or unknown, or the order names no level; otherwise info: "meets the case series'
selection criteria" — never "indicated". Prognosis is shown as context, not as a criterion.
"""

from __future__ import annotations

from adapter.cds.cards import card_uuid, table_cell
from adapter.cds.models import Card, Source
from adapter.decision import Decisions, OrderDecision
from adapter.decision.wording import unvalidated, without_ids
from adapter.pipeline import PatientResult
from adapter.procedure.check import LevelCheck, OrderCheck
from adapter.procedure.criteria import Criterion

__all__ = ["order_card", "order_cards"]

_SEED_TOKUHASHI = "6–13"  # the case series' patients (revised Tokuhashi, the seed's own reading)
_GUIDE = (
    "Criteria of one case series (20 patients, percutaneous pedicle screw fixation with "
    "vertebroplasty for thoracolumbar metastases): a guide to selection, not an indication."
)
_NOT_CHECKED = "Not checked: infection, cardiopulmonary fitness, the patient's wishes."


def _row(c: Criterion) -> str:
    action = c.action or ""
    basis = without_ids(c.basis)
    return (
        f"| {c.number} | {table_cell(c.name)} | **{c.status}** | {table_cell(basis)} "
        f"| {table_cell(action)} |"
    )


def _level_section(lv: LevelCheck, result: PatientResult) -> list[str]:
    role = " (instrumented: criteria 2, 3 and 5 not judged)" if lv.instrumented else ""
    lines = [f"**{lv.level}{role}**", ""]
    scored = result.level(lv.level)
    if scored is not None and not lv.instrumented:
        band = scored.result.band.label if scored.result.band else "category not settled"
        lines += [f"SINS at {lv.level}: {scored.result.total} ({band})", ""]
    lines += ["| # | Criterion | Status | Source and date | What to do |", "|---|---|---|---|---|"]
    lines += [_row(c) for c in lv.criteria]
    return [*lines, ""]


def _prognosis(result: PatientResult, haematological: bool) -> list[str]:
    out = []
    for code in ("tomita", "tokuhashi-revised"):
        score = result.score(code)
        if score is not None:
            band = score.result.band.label if score.result.band else "category not settled"
            title = unvalidated(score.result.spec.title, haematological)
            out.append(f"{title} {score.result.total} ({band})")
    seed = f"the case series' patients had revised Tokuhashi {_SEED_TOKUHASHI}"
    return [
        f"Prognosis, as information for the decision (not a criterion): {'; '.join(out)}; {seed}."
    ]


def _detail(check: OrderCheck, decisions: Decisions) -> str:
    result = decisions.result
    lines: list[str] = []
    if not check.level_named:
        lines += [
            "**The order names no level**: every scored level is checked as a candidate. "
            "Record the level to treat (ServiceRequest.bodySite).",
            "",
        ]
    if check.order.unplaced:
        lines += [f"Ordered sites that name no level: {', '.join(check.order.unplaced)}.", ""]
    if not check.levels:
        lines += ["No spinal level is recorded for this patient, so no level could be checked.", ""]
    for lv in check.levels:
        lines += _level_section(lv, result)
    lines += [*_prognosis(result, decisions.haematological), "", _NOT_CHECKED, "", _GUIDE]
    return "\n".join(lines)


def _deceased_detail(decisions: Decisions) -> str:
    heading = decisions.deceased.heading if decisions.deceased else "Recorded as deceased"
    return (
        f"{heading} in the record: check the patient's identity before this order. No "
        "criterion was checked and no recommendation is given for a deceased patient; if the "
        "record is wrong, correct Patient.deceased[x]."
    )


def order_card(decision: OrderDecision, decisions: Decisions, hook_instance: str) -> Card:
    """One card per order, rendering its verdict."""
    check = decision.check
    detail = _detail(check, decisions) if decision.checked else _deceased_detail(decisions)
    return Card(
        uuid=card_uuid(hook_instance, f"procedure:{check.order.reference}"),
        summary=decision.summary,
        detail=detail,
        indicator=decision.indicator,
        source=Source(label="spinemets"),
    )


def order_cards(decisions: Decisions, hook_instance: str) -> list[Card]:
    """The cards of every order the decisions hold, in order."""
    return [order_card(decision, decisions, hook_instance) for decision in decisions.orders]
