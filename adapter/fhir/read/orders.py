"""Orders, slim and typed: the draft ServiceRequests of a CDS order-select or order-sign context,
and the draft or active ServiceRequests of a patient's record (contract §2 v3: the text report
and the page show the procedure check of each)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from adapter.errors import InputError
from adapter.fhir.read.records import Coding, body_site_names, codings, concept_name, concepts
from adapter.fhir.read.references import normalise_reference
from adapter.vocabulary.cards import shorten

# Longer than any site's name or a run of levels; what an order quotes stays a line.
SITE_WORDS_MAX = 200

__all__ = [
    "RECORD_ORDER_STATUSES",
    "OrderRecord",
    "code_problem",
    "do_not_perform_problem",
    "order_of_record",
    "read_orders",
    "status_problem",
]

# The ServiceRequests a patient's record holds as orders to check: not yet signed, or current.
RECORD_ORDER_STATUSES = frozenset({"draft", "active"})


class OrderRecord(NamedTuple):
    reference: str  # ServiceRequest/<id>
    status: str | None
    codes: tuple[Coding, ...]
    text: str | None  # code.text, how the ordering clinician named it
    body_sites: tuple[tuple[Coding, ...], ...]
    reasons: tuple[str, ...]  # reasonReference, normalised
    patient: str | None = None  # the patient's id, when read from a patient's record
    displays: tuple[str, ...] = ()  # code.coding[].display, as the EHR sent them
    categories: tuple[tuple[Coding, ...], ...] = ()  # category, one tuple per CodeableConcept
    # How the order names each coded bodySite (its text, else a display), beside body_sites; and
    # the bodySites that carry words but no code: ordered sites all the same.
    site_names: tuple[str | None, ...] = ()
    uncoded_sites: tuple[str, ...] = ()
    # Why the order's code could not be read (a JSON type FHIR does not allow there), and the
    # code as sent when it is plain text: what it orders cannot be told (contract §5 v3).
    unreadable: str | None = None
    sent_as: str | None = None
    # doNotPerform true: an order for the procedure *not* to be done (false or absent is the
    # ordinary order FHIR defaults to).
    do_not_perform: bool = False
    # Why its status cannot be read (missing, empty or not a string: FHIR requires one): whether
    # it is being ordered cannot be told.
    status_problem: str | None = None
    # Why its doNotPerform cannot be read (present but not a boolean: "true" as a string may
    # forbid the procedure): whether it orders or forbids it cannot be told.
    do_not_perform_problem: str | None = None

    @property
    def problem(self) -> str | None:
        """Everything about the order that could not be read, in words; None when it can be."""
        found = (self.status_problem, self.do_not_perform_problem, self.unreadable)
        return "; ".join(p for p in found if p) or None


_KINDS = {str: "a string", list: "a list", dict: "an object", bool: "true or false",
          int: "a number", float: "a number"}  # fmt: skip


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), "null")


def _coding_problem(coding: Any) -> str | None:
    if not isinstance(coding, dict):
        return f"a code.coding entry is {_kind(coding)}, not a Coding"
    for field in ("system", "code", "display"):
        if field in coding and not isinstance(coding[field], str):
            return f"a code.coding entry's {field} is {_kind(coding[field])}, not a string"
    return None


def code_problem(concept: Any) -> str | None:
    """Why an order's ``code`` cannot be read as a CodeableConcept; None when it can (or is
    absent: FHIR allows that, and the order is then read by its other elements)."""
    if concept is None:
        return None
    if not isinstance(concept, dict):
        return f"its code is {_kind(concept)}, not a CodeableConcept"
    found, text = concept.get("coding"), concept.get("text")
    if text is not None and not isinstance(text, str):
        return f"its code.text is {_kind(text)}, not a string"
    if found is not None and not isinstance(found, list):
        return f"its code.coding is {_kind(found)}, not a list"
    problems = [p for p in map(_coding_problem, found or ()) if p is not None]
    if problems:
        return problems[0]
    if not codings(concept) and concept_name(concept) is None:
        return "its code holds no coding and no text"
    return None


def _bounded(
    named: tuple[str | None, ...], uncoded: tuple[str, ...]
) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """A bodySite's words as cards quote them: within :data:`SITE_WORDS_MAX` characters, since
    the EHR's text may be any length and a card quotes it."""
    return (
        tuple(n if n is None else shorten(n, SITE_WORDS_MAX) for n in named),
        tuple(shorten(n, SITE_WORDS_MAX) for n in uncoded),
    )


def status_problem(status: Any) -> str | None:
    """Why an order's ``status`` cannot be read; None when it is a code (FHIR: 1..1)."""
    if status is None:
        return "its status is missing"
    if not isinstance(status, str):
        return f"its status is {_kind(status)}, not a string"
    return "its status is empty" if not status.strip() else None


def do_not_perform_problem(resource: Mapping[str, Any]) -> str | None:
    """Why an order's ``doNotPerform`` cannot be read; None when it is a boolean or absent."""
    if "doNotPerform" not in resource or isinstance(resource["doNotPerform"], bool):
        return None
    return f"its doNotPerform is {_kind(resource['doNotPerform'])}, not true or false"


def _displays(concept: Any) -> tuple[str, ...]:
    codings_ = concept.get("coding") if isinstance(concept, Mapping) else None
    return tuple(
        c["display"]
        for c in (codings_ if isinstance(codings_, list) else ())
        if isinstance(c, Mapping) and isinstance(c.get("display"), str) and c["display"]
    )


def _order(resource: Mapping[str, Any]) -> OrderRecord | None:
    if resource.get("resourceType") != "ServiceRequest":
        return None
    rid = resource.get("id")
    concept = resource.get("code")
    text = concept.get("text") if isinstance(concept, Mapping) else None
    status = resource.get("status")
    reasons = resource.get("reasonReference")
    site_names, uncoded_sites = _bounded(*body_site_names(resource.get("bodySite")))
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
        displays=_displays(concept),
        categories=concepts(resource.get("category")),
        site_names=site_names,
        uncoded_sites=uncoded_sites,
        unreadable=code_problem(concept),
        sent_as=concept.strip() if isinstance(concept, str) and concept.strip() else None,
        do_not_perform=resource.get("doNotPerform") is True,
        status_problem=status_problem(status),
        do_not_perform_problem=do_not_perform_problem(resource),
    )


def order_of_record(resource: Mapping[str, Any], patient: str) -> OrderRecord | None:
    """A ServiceRequest of a patient's record, when it is draft or active; None otherwise."""
    order = _order(resource)
    if order is None or order.status not in RECORD_ORDER_STATUSES:
        return None
    return order._replace(patient=patient)


def read_orders(draft_orders: Mapping[str, Any] | None) -> Sequence[OrderRecord]:
    """The ServiceRequests of a draftOrders Bundle (other order types are not read). Entries
    that cannot be read are an InputError naming them: the order being signed, unread, would
    be answered with silence (contract §5 v3)."""
    entries = (draft_orders or {}).get("entry") or []
    if not isinstance(entries, list):
        raise InputError("context.draftOrders.entry is not a list")
    out = []
    for n, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, dict):
            raise InputError(
                f"context.draftOrders.entry[{n}] holds no resource (each entry wraps its order "
                "as entry.resource)"
            )
        if (order := _order(resource)) is not None:
            out.append(order)
    return out
