"""Orders (ServiceRequests), slim and typed: the drafts of a CDS order-select or order-sign
context, and the ServiceRequests of a ``spinemets score`` input (kept per patient, so the text
report and the page show each spine order's verdict)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from adapter.fhir.read.records import Coding, codings, concepts
from adapter.fhir.read.references import normalise_reference, patient_of

__all__ = ["OrderRecord", "parse_order", "read_orders"]


class OrderRecord(NamedTuple):
    reference: str  # ServiceRequest/<id>
    status: str | None
    codes: tuple[Coding, ...]
    text: str | None  # code.text, how the ordering clinician named it
    body_sites: tuple[tuple[Coding, ...], ...]
    reasons: tuple[str, ...]  # reasonReference, normalised
    patient: str | None = None  # the subject's id, when the order came in a patient's record


def parse_order(resource: Mapping[str, Any], aliases: Mapping[str, str]) -> OrderRecord | None:
    """A ServiceRequest of a patient's record, with its subject; None without a Patient subject."""
    order = _order(resource)
    patient = patient_of(resource, aliases)
    return order._replace(patient=patient) if order is not None and patient else None


def _order(resource: Mapping[str, Any]) -> OrderRecord | None:
    if resource.get("resourceType") != "ServiceRequest":
        return None
    rid = resource.get("id")
    concept = resource.get("code")
    text = concept.get("text") if isinstance(concept, Mapping) else None
    status = resource.get("status")
    reasons = resource.get("reasonReference")
    return OrderRecord(
        reference=f"ServiceRequest/{rid}" if isinstance(rid, str) else "ServiceRequest",
        status=status if isinstance(status, str) else None,
        codes=codings(concept),
        text=text if isinstance(text, str) and text else None,
        body_sites=concepts(resource.get("bodySite")),
        reasons=tuple(
            r
            for r in (
                normalise_reference(v) for v in (reasons if isinstance(reasons, list) else ())
            )
            if r is not None
        ),
    )


def read_orders(draft_orders: Mapping[str, Any] | None) -> Sequence[OrderRecord]:
    """The ServiceRequests of a draftOrders Bundle (other order types are not read)."""
    entries = (draft_orders or {}).get("entry") or []
    out = []
    for entry in entries if isinstance(entries, list) else ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(resource, dict) and (order := _order(resource)) is not None:
            out.append(order)
    return out
