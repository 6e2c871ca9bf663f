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

from adapter.cds.cards import has_spinal_disease, score_cards, system_actions
from adapter.cds.models import CdsRequest, CdsResponse, Discovery, ServiceEntry
from adapter.cds.prefetch import SCORE_PREFETCH, PrefetchLimits, gather_resources
from adapter.cds.procedure import criteria, order_card, procedure_orders
from adapter.cds.settings import Settings
from adapter.errors import HookMismatchError, InputError, NotFoundError
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData, patients_from_resources
from adapter.mapping.extract import read_observation
from adapter.mapping.terminology import Terminology
from adapter.pipeline import PatientResult, now_time, score_patient

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


Handler = Callable[[CdsRequest, Deps], Awaitable[CdsResponse]]


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    hooks: tuple[str, ...]
    title: str
    description: str
    prefetch: Mapping[str, str]
    handler: Handler


async def _score(request: CdsRequest, deps: Deps) -> tuple[PatientResult, PatientData]:
    limits = PrefetchLimits(deps.settings.fhir_timeout, deps.settings.fhir_max_pages)
    resources = await gather_resources(request, SCORE_PREFETCH, deps.http, limits)
    loose: list[Issue] = []
    patient_id = request.context.patientId
    found = [
        p
        for p in patients_from_resources(resources, loose, read_observation)
        if p.patient == patient_id
    ]
    data = found[0] if found else PatientData(patient_id)
    result = score_patient(
        data, deps.term, now=now_time(), original=deps.settings.original_tokuhashi
    )
    return result, data


def _with_actions(response: CdsResponse, result: PatientResult, deps: Deps) -> CdsResponse:
    if deps.settings.system_actions and response.cards:
        response.systemActions = system_actions(result) or None
    return response


async def _scores(request: CdsRequest, deps: Deps) -> CdsResponse:
    result, _ = await _score(request, deps)
    if not has_spinal_disease(result):
        return CdsResponse(cards=[])
    response = CdsResponse(cards=score_cards(result, request.hookInstance))
    return _with_actions(response, result, deps)


async def _procedure(request: CdsRequest, deps: Deps) -> CdsResponse:
    context = request.context
    if context.draftOrders is None:
        raise InputError(f"context.draftOrders is required for {request.hook}")
    if request.hook == "order-select" and context.selections is None:
        raise InputError("context.selections is required for order-select")
    if context.draftOrders.get("resourceType") != "Bundle":
        raise InputError("context.draftOrders must be a Bundle")
    orders = procedure_orders(context.draftOrders, context.selections, request.hook, deps.term)
    if not orders:
        return CdsResponse(cards=[])  # nothing this service checks: no data fetched
    result, data = await _score(request, deps)
    checks = criteria(result, data, deps.term)
    cards = [order_card(order, checks, request.hookInstance) for order in orders]
    return _with_actions(CdsResponse(cards=cards), result, deps)


SERVICES: Mapping[str, Service] = {
    s.id: s
    for s in (
        Service(
            "spinemets-scores",
            ("patient-view",),
            "Spinal metastasis scores",
            "SINS (worst level), Tomita and revised Tokuhashi scores from FHIR R4 data, with what "
            "is missing and what would settle it.",
            SCORE_PREFETCH,
            _scores,
        ),
        Service(
            "spinemets-procedure-check",
            ("order-select", "order-sign"),
            "Spinal augmentation and fixation order check",
            "Checks a draft vertebroplasty, kyphoplasty or percutaneous pedicle screw fixation "
            "order (CPT 22510-22515, 22840-22842) against the scores and a case series' selection "
            "criteria.",
            SCORE_PREFETCH,
            _procedure,
        ),
    )
}


def discovery() -> Discovery:
    """Discovery entries: one per hook, so a service serving two hooks is listed twice."""
    return Discovery(
        services=[
            ServiceEntry(
                hook=hook,
                id=s.id,
                title=s.title,
                description=s.description,
                prefetch=dict(s.prefetch),
                usageRequirements=_USAGE,
            )
            for s in SERVICES.values()
            for hook in s.hooks
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
    if request.hook not in spec.hooks:
        raise HookMismatchError(
            f"service {service_id} serves {', '.join(spec.hooks)}, not {request.hook}"
        )
    return await spec.handler(request, deps)
