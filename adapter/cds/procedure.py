"""The procedure check as a card (contract §5): one card per draft order, its indicator the worst
over its levels.

Critical when a neurological deficit or high-grade compression is recorded at a treated level
(the card says to assess for decompression and radiotherapy first); a warning when any criterion
is unmet or unknown, or the order names no level; otherwise info: "meets the case series'
selection criteria" — never "indicated". Prognosis is shown as context, not as a criterion.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapter.cds.cards import card_uuid, table_cell
from adapter.cds.models import Card, Source
from adapter.pipeline import PatientResult
from adapter.procedure.check import LevelCheck, OrderCheck
from adapter.procedure.criteria import Criterion

__all__ = ["order_card"]

_SUMMARY_MAX = 139
_SEED_TOKUHASHI = "6–13"  # the case series' patients (revised Tokuhashi, the seed's own reading)
_GUIDE = (
    "Criteria of one case series (20 patients, percutaneous pedicle screw fixation with "
    "vertebroplasty for thoracolumbar metastases): a guide to selection, not an indication."
)
_NOT_CHECKED = "Not checked: infection, cardiopulmonary fitness, the patient's wishes."


def _short(text: str) -> str:
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1].rstrip() + "…"


def _tally(check: OrderCheck) -> str:
    statuses = [c.status for lv in check.levels for c in lv.criteria]
    counts = [(statuses.count(s), s) for s in ("unmet", "unknown")]
    return ", ".join(f"{n} {s}" for n, s in counts if n)


def _unmet_findings(check: OrderCheck, numbers: tuple[int, ...]) -> list[str]:
    return list(
        dict.fromkeys(
            c.finding
            for lv in check.levels
            for c in lv.criteria
            if c.number in numbers and c.status == "unmet" and c.finding
        )
    )


def _summary(check: OrderCheck) -> str:
    order = check.order
    treated = [lv.level for lv in check.levels if not lv.instrumented]
    where = f" at {', '.join(treated)}" if check.level_named and treated else ""
    if check.compression:
        found = _unmet_findings(check, (4, 5))
        text = (
            f"{order.display}{where}: suspected cord compression ({'; '.join(found)}) — assess "
            "for decompression and radiotherapy first"
        )
        if not found:  # only elsewhere (criterion 8)
            text = (
                f"{order.display}{where}: {'; '.join(_unmet_findings(check, (8,)))}: suspected "
                "cord compression elsewhere — assess for decompression and radiotherapy first"
            )
    elif not check.level_named:
        text = f"{order.display}: no level ordered — record the level; criteria {_tally(check)}"
    elif check.indicator == "warning":
        text = f"{order.display}{where}: case-series criteria {_tally(check)}"
    else:
        text = f"{order.display}{where}: meets the case series' selection criteria"
    return _short(text)


def _row(c: Criterion) -> str:
    action = c.action or ""
    return (
        f"| {c.number} | {table_cell(c.name)} | **{c.status}** | {table_cell(c.basis)} "
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


def _prognosis(result: PatientResult) -> list[str]:
    out = []
    for code in ("tomita", "tokuhashi-revised"):
        score = result.score(code)
        if score is not None:
            band = score.result.band.label if score.result.band else "category not settled"
            out.append(f"{score.result.spec.title} {score.result.total} ({band})")
    seed = f"the case series' patients had revised Tokuhashi {_SEED_TOKUHASHI}"
    return [
        f"Prognosis, as information for the decision (not a criterion): {'; '.join(out)}; {seed}."
    ]


def _detail(check: OrderCheck, result: PatientResult) -> str:
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
    lines += [*_prognosis(result), "", _NOT_CHECKED, "", _GUIDE]
    return "\n".join(lines)


def order_card(check: OrderCheck, result: PatientResult, hook_instance: str) -> Card:
    """One card per checked order."""
    return Card(
        uuid=card_uuid(hook_instance, f"procedure:{check.order.reference}"),
        summary=_summary(check),
        detail=_detail(check, result),
        indicator=check.indicator,
        source=Source(label="spinemets"),
    )


def order_cards(
    checks: Sequence[OrderCheck], result: PatientResult, hook_instance: str
) -> list[Card]:
    return [order_card(check, result, hook_instance) for check in checks]
