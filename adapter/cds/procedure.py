"""The procedure check: a draft spinal augmentation or fixation order against the case series.

The case series (percutaneous pedicle screw fixation with vertebroplasty for thoracolumbar
metastases, 20 patients) included patients with a pathological fracture from metastasis, no
spinal cord or nerve injury and no epidural compression needing decompression, and read the
expected survival from the revised Tokuhashi score; SINS 7 or more supports stabilisation. Each
criterion is *met*, *unmet* or *unknown*: never guessed from missing data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from adapter.cds.cards import card_uuid, table_cell
from adapter.cds.models import Card, Source
from adapter.fhir.read.source import PatientData
from adapter.mapping.evidence import Evidence
from adapter.mapping.selection import high_grade, latest_escc, neoplastic_fractures
from adapter.mapping.terminology import Terminology
from adapter.pipeline import PatientResult
from adapter.scoring import Collapse, Frankel

__all__ = ["Criterion", "Order", "criteria", "order_card", "procedure_orders"]

Status = Literal["met", "unmet", "unknown"]
_FRACTURE = frozenset({Collapse.GT_50, Collapse.LT_50})
_VALUE_SET = "spine-augmentation-procedure"


@dataclass(frozen=True, slots=True)
class Order:
    """A ServiceRequest in draftOrders that asks for a procedure the check covers."""

    reference: str
    display: str


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    status: Status
    basis: str


def _order_display(resource: Mapping[str, Any], code: str) -> str:
    concept = resource.get("code") or {}
    text = concept.get("text") if isinstance(concept, Mapping) else None
    return text if isinstance(text, str) and text else f"procedure {code}"


def procedure_orders(
    draft_orders: Mapping[str, Any] | None,
    selections: Sequence[str] | None,
    hook: str,
    term: Terminology,
) -> list[Order]:
    """ServiceRequests to check: draft (order-sign: also active), coded in the ValueSet.

    For order-select only the selected orders count: the others were checked when selected.
    """
    statuses = {"draft", "active"} if hook == "order-sign" else {"draft"}
    wanted = set(selections or ()) if hook == "order-select" else None
    entries = (draft_orders or {}).get("entry") or []
    orders = []
    for entry in entries if isinstance(entries, list) else ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or resource.get("resourceType") != "ServiceRequest":
            continue
        reference = f"ServiceRequest/{resource.get('id')}"
        if wanted is not None and reference not in wanted:
            continue
        if resource.get("status") not in statuses:
            continue
        concept = resource.get("code")
        codings = concept.get("coding") if isinstance(concept, Mapping) else None
        for coding in codings if isinstance(codings, list) else ():
            if not isinstance(coding, Mapping) or not isinstance(coding.get("code"), str):
                continue
            system = coding.get("system") if isinstance(coding.get("system"), str) else None
            if term.in_value_set(_VALUE_SET, system, coding["code"]):
                orders.append(Order(reference, _order_display(resource, coding["code"])))
                break
    return orders


def _refs(evidence: Sequence[Evidence]) -> str:
    return ", ".join(
        f"{ev.summary} ({ev.ref.reference or 'unreferenced'}"
        + (f", {ev.time.text})" if ev.time else ")")
        for ev in evidence
    )


def _fracture(result: PatientResult, data: PatientData, term: Terminology) -> Criterion:
    name = "Pathological fracture from metastasis"
    coded = neoplastic_fractures(data.conditions, term)
    collapsed = [
        lv.assessment.level
        for lv in result.levels
        if lv.assessment.inputs.collapse.known and lv.assessment.inputs.collapse.values <= _FRACTURE
    ]
    if coded or collapsed:
        parts = (
            [f"collapse of the metastatic vertebral body at {', '.join(collapsed)}"]
            if collapsed
            else []
        )
        parts += [_refs(coded)] if coded else []
        return Criterion(name, "met", "; ".join(parts))
    possible = [
        lv.assessment.level
        for lv in result.levels
        if not lv.assessment.inputs.collapse.known
        or lv.assessment.inputs.collapse.values & _FRACTURE
    ]
    if possible or not result.levels:
        where = ", ".join(possible) or "any level"
        return Criterion(
            name,
            "unknown",
            f"vertebral-body-collapse not recorded or not settled at "
            f"{where}: record it (gt-50, lt-50, none-gt-50-involved, none)",
        )
    return Criterion(
        name,
        "unmet",
        "no collapse of a metastatic vertebral body recorded and no "
        "pathological fracture Condition (ICD-10-CM M84.58)",
    )


def _neurology(result: PatientResult) -> Criterion:
    name = "No neurological deficit"
    palsy = result.assessment.tokuhashi.palsy
    basis = result.assessment.basis.get("tokuhashi-palsy")
    shown = _refs(basis.evidence) if basis and basis.evidence else ""
    if not palsy.known:
        return Criterion(name, "unknown", "no Frankel grade or AIS recorded: record frankel-grade")
    if palsy.values == {Frankel.E}:
        return Criterion(name, "met", f"Frankel E: {shown}")
    if Frankel.E not in palsy.values:
        grades = "/".join(sorted(g.value for g in palsy.values))
        return Criterion(name, "unmet", f"Frankel {grades}: neurological deficit ({shown})")
    return Criterion(name, "unknown", f"conflicting grades ({shown})")


def _compression(data: PatientData) -> Criterion:
    name = "No epidural cord compression needing decompression"
    chosen = latest_escc(data.observations)
    if chosen is None:
        return Criterion(
            name,
            "unknown",
            "no Bilsky ESCC grade recorded: record "
            "epidural-spinal-cord-compression (bilsky-0 to bilsky-3) from MRI",
        )
    shown = _refs(chosen.evidence)
    if all(high_grade(g) for g in chosen.values):
        return Criterion(name, "unmet", f"high-grade compression (Bilsky 2–3): {shown}")
    if not any(high_grade(g) for g in chosen.values):
        return Criterion(name, "met", f"low-grade or no compression (Bilsky 0–1c): {shown}")
    return Criterion(name, "unknown", f"conflicting grades: {shown}")


def _survival(result: PatientResult) -> Criterion:
    name = "Expected survival ≥ 6 months (revised Tokuhashi ≥ 9)"
    score = next((s.result for s in result.scores if s.result.code == "tokuhashi-revised"), None)
    if score is None:
        return Criterion(name, "unknown", "revised Tokuhashi not computed")
    total = score.total
    if total.low >= 9:
        return Criterion(name, "met", f"revised Tokuhashi {total}")
    if total.high <= 8:
        return Criterion(
            name,
            "unmet",
            f"revised Tokuhashi {total}: predicted survival < 6 "
            "months, conservative treatment suggested",
        )
    return Criterion(
        name, "unknown", f"revised Tokuhashi {total} spans 8/9: settle the missing inputs"
    )


def _instability(result: PatientResult) -> Criterion:
    name = "Instability supports stabilisation (SINS ≥ 7)"
    if not result.worst:
        return Criterion(name, "unknown", "no spinal level scored")
    worst = result.worst[0]
    total, level = worst.result.total, worst.assessment.level
    if total.low >= 7:
        return Criterion(name, "met", f"SINS {total} at {level}")
    if total.high <= 6:
        return Criterion(name, "unmet", f"SINS {total} at {level}: stable")
    return Criterion(name, "unknown", f"SINS {total} at {level} spans 6/7")


def criteria(result: PatientResult, data: PatientData, term: Terminology) -> list[Criterion]:
    """Every selection criterion, in the order the case series lists them, then SINS."""
    return [
        _fracture(result, data, term),
        _neurology(result),
        _compression(data),
        _survival(result),
        _instability(result),
    ]


def order_card(order: Order, checks: Sequence[Criterion], hook_instance: str) -> Card:
    """One card per checked order: which criteria are met, unmet or unknown."""
    counts = {s: sum(1 for c in checks if c.status == s) for s in ("met", "unmet", "unknown")}
    tally = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    summary = f"{order.display}: case-series criteria {tally}"
    if len(summary) > 139:
        summary = f"Spinal procedure order: case-series criteria {tally}"
    lines = ["| Criterion | Status | Basis |", "|---|---|---|"]
    lines += [f"| {table_cell(c.name)} | **{c.status}** | {table_cell(c.basis)} |" for c in checks]
    for status, title in (("unmet", "Not met"), ("unknown", "Unknown")):
        listed = [c.name for c in checks if c.status == status]
        if listed:
            lines += ["", f"**{title}:** " + "; ".join(listed) + "."]
    lines += [
        "",
        "Criteria of a case series of 20 patients (percutaneous pedicle screw fixation "
        "with vertebroplasty for thoracolumbar metastases): a guide, not a rule.",
    ]
    return Card(
        uuid=card_uuid(hook_instance, f"procedure:{order.reference}"),
        summary=summary[:139],
        detail="\n".join(lines),
        indicator="warning" if counts["unmet"] else "info",
        source=Source(label="spinemets"),
    )
