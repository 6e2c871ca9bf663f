"""The two CDS services: discovery entries and the handling of one call.

``spinemets-scores`` (patient-view) shows one card per score; ``spinemets-procedure-check``
(order-select, order-sign) checks a draft vertebroplasty, kyphoplasty or pedicle screw fixation
order. Both read the same prefetch. Errors are raised as :mod:`adapter.errors` exceptions and
mapped to HTTP statuses by the app, never here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx

from adapter.cds.cards import score_cards, system_actions
from adapter.cds.links import order_asks, unstaged, with_links
from adapter.cds.metrics import Metrics
from adapter.cds.models import Card, CdsRequest, CdsResponse, Discovery, ServiceEntry
from adapter.cds.optional_keys import omitted_cards
from adapter.cds.prefetch import (
    CHECK_PREFETCH,
    SCORE_PREFETCH,
    PrefetchLimits,
    gather_resources,
)
from adapter.cds.procedure import order_cards, override_reasons, unreadable_cards
from adapter.cds.same_patient import check_patient, stranger_cards
from adapter.cds.settings import Settings
from adapter.decision import decide
from adapter.errors import DataUnavailableError, HookMismatchError, InputError, NotFoundError
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.source import PatientData
from adapter.mapping.terminology import Terminology
from adapter.pipeline import PatientResult, Scoring, now_time, patient_records, score_patient
from adapter.procedure.orders import (
    decompressed_levels,
    procedure_orders,
    selected_orders,
    unreadable_orders,
)

__all__ = ["SERVICES", "Deps", "Service", "call_service", "discovery", "service"]

_USAGE = (
    "Uses the prefetch; keys that are missing or hold an OperationOutcome are read from "
    "fhirServer with fhirAuthorization. Without either the call fails with 412."
)


@dataclass(frozen=True, slots=True)
class Deps:
    """What a service call needs from the app: loaded once at start-up."""

    term: Terminology
    http: httpx.AsyncClient
    settings: Settings
    metrics: Metrics | None = None  # counts the fallback reads


Handler = Callable[[CdsRequest, Deps], Awaitable[CdsResponse]]


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str]
    handler: Handler


async def _score(
    request: CdsRequest, deps: Deps, prefetch: Mapping[str, str]
) -> tuple[PatientResult, list[Card]]:
    """The patient's result, and the warnings on what it was read from: what the FHIR server
    returned about another patient, the optional prefetch keys scored without."""
    check_patient(request, prefetch)  # before anything is read or fetched
    limits = PrefetchLimits.of(deps.settings)
    gathered = await gather_resources(request, prefetch, deps.http, limits, deps.metrics)
    patient_id = request.context.patientId
    data = patient_records(gathered.resources, patient_id) or PatientData(patient_id)
    if data.record is None and "patient" in prefetch:
        # Whether the patient is alive, and who it is, are read from it (the deceased and
        # wrong-patient guards): a key that cannot be read as a Patient is no living patient.
        raise DataUnavailableError(
            "prefetch 'patient' holds no usable Patient (malformed, or another resource): the "
            "patient's record could not be read"
        )
    scoring = Scoring(deps.settings.original_tokuhashi, deps.settings.rules)
    result = score_patient(data, deps.term, now=now_time(), scoring=scoring)
    hook = request.hookInstance
    notice = stranger_cards(gathered.strangers, hook) + omitted_cards(gathered.omitted, hook)
    return result, notice


def _with_actions(response: CdsResponse, result: PatientResult, deps: Deps) -> CdsResponse:
    if deps.settings.system_actions and response.cards:
        response.systemActions = system_actions(result) or None
    return response


async def _scores(request: CdsRequest, deps: Deps) -> CdsResponse:
    result, notice = await _score(request, deps, SCORE_PREFETCH)
    decisions = decide(result, (), deps.settings.rules)
    cards = score_cards(decisions, request.hookInstance, deps.settings.shown_cards())
    unplaced = bool(result.assessment.open_levels)
    base = deps.settings.public_base_url
    cards = with_links(cards, decisions.levels, base, unstaged(result), unplaced=unplaced)
    # The record may be incomplete whatever it shows: said even when nothing else is.
    if not cards or result.assessment.deceased:
        return CdsResponse(cards=[*cards, *notice])
    return _with_actions(CdsResponse(cards=[*cards, *notice]), result, deps)


async def _procedure(request: CdsRequest, deps: Deps) -> CdsResponse:
    context = request.context
    if context.draftOrders is None:
        raise InputError(f"context.draftOrders is required for {request.hook}")
    if request.hook == "order-select" and context.selections is None:
        raise InputError("context.selections is required for order-select")
    if context.draftOrders.get("resourceType") != "Bundle":
        raise InputError("context.draftOrders must be a Bundle")
    records = read_orders(context.draftOrders)
    # The whole basket, so that a fixation not selected now still counts beside the cement that is.
    basket = procedure_orders(records, None, request.hook, deps.term)
    orders = selected_orders(basket, context.selections, request.hook)
    unread = unreadable_orders(records, context.selections, request.hook, deps.term)
    if not orders and not unread:
        return CdsResponse(cards=[])  # nothing this service checks: no data fetched
    reasons = override_reasons(deps.term)
    unread_cards = unreadable_cards(unread, request.hookInstance, reasons)
    if not orders:
        check_patient(request, {})  # the orders are about the patient in context
        return CdsResponse(cards=unread_cards)  # named, not checked: no data needed
    result, notice = await _score(request, deps, CHECK_PREFETCH)
    # A deceased patient's order is a warning per order ("check the patient's identity").
    decompressing = decompressed_levels(records, deps.term)
    decisions = decide(result, orders, deps.settings.rules, decompressing, basket)
    cards = order_cards(decisions, request.hookInstance, reasons)
    asks = {c.uuid: order_asks(d.check) for c, d in zip(cards, decisions.orders, strict=True)}
    cards = with_links(cards, decisions.levels, deps.settings.public_base_url, asks=asks)
    return CdsResponse(cards=[*cards, *unread_cards, *notice])


_CHECKED = (
    "a draft vertebroplasty or kyphoplasty (CPT 22510-22515) or pedicle screw fixation (CPT "
    "22840, 22842-22844) order, or the same in SNOMED CT, ICD-10-PCS, OPCS-4 or a local code, at "
    "each ordered level, against the selection criteria of a case series (thoracolumbar level, "
    "tumour, fracture or instability, no neurological deficit, no high-grade epidural "
    "compression, no fracture from another cause, bleeding risk, no untreated cord compression "
    "elsewhere, no active infection); a spine "
    "order that is not recognised is checked against the patient-wide criteria"
)
SERVICES: Mapping[str, Service] = {
    s.id: s
    for s in (
        Service(
            "spinemets-scores",
            "patient-view",
            "Spinal metastasis scores",
            "SINS (worst level), Tomita and revised Tokuhashi scores from FHIR R4 data, with what "
            "is missing and what would settle it; a critical card for a neurological deficit or "
            "high-grade cord compression.",
            SCORE_PREFETCH,
            _scores,
        ),
        Service(
            "spinemets-procedure-check",
            "order-sign",
            "Vertebroplasty and fixation order check (signing)",
            f"Checks {_CHECKED}.",
            CHECK_PREFETCH,
            _procedure,
        ),
        Service(
            "spinemets-procedure-check-select",
            "order-select",
            "Vertebroplasty and fixation order check (selecting)",
            f"Checks the selected orders: {_CHECKED}.",
            CHECK_PREFETCH,
            _procedure,
        ),
    )
}


def discovery() -> Discovery:
    """Discovery: each service once, under its one id and hook."""
    return Discovery(
        services=[
            ServiceEntry(
                hook=s.hook,
                id=s.id,
                title=s.title,
                description=s.description,
                prefetch=dict(s.prefetch),
                usageRequirements=_USAGE,
            )
            for s in SERVICES.values()
        ]
    )


def service(service_id: str) -> Service:
    found = SERVICES.get(service_id)
    if found is None:
        raise NotFoundError(f"no CDS service {service_id!r}")
    return found


async def call_service(service_id: str, request: CdsRequest, deps: Deps) -> CdsResponse:
    """Handle one call of a service."""
    spec = service(service_id)
    if request.hook != spec.hook:
        # Named, not echoed: 400 bodies name fields, never the caller's values.
        raise HookMismatchError(f"hook: service {service_id} serves {spec.hook} only")
    return await spec.handler(request, deps)
