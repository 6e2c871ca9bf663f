"""One patient per request: a prefetch or draft order about another patient is refused.

CDS Hooks fills every prefetch template with the patient in context (``{{context.patientId}}``),
and the order hooks' draft orders are that patient's. A resource about someone else is an
integration error in the client; see :func:`check_patient` for why it is a 400 rather than a read
from fhirServer or a silent omission.

What the client's FHIR server returns is not the client's request: a resource in its answer about
another patient is left out (:func:`split_strangers`) and named on a warning card
(:func:`stranger_cards`), by type and count only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from adapter.cds.cards import card_uuid
from adapter.cds.models import Card, CdsRequest, Source
from adapter.errors import InputError
from adapter.fhir.read.references import patient_of
from adapter.vocabulary.cards import markdown_text, shorten

__all__ = ["check_patient", "counted", "incomplete", "split_strangers", "stranger_cards"]


def _aliases(items: list[Any]) -> dict[str, str]:
    """A Bundle's fullUrls as ``Type/id``, for references that name a resource by its fullUrl."""
    return {
        e["fullUrl"]: f"{r.get('resourceType')}/{r['id']}"
        for e in items
        if isinstance(e, Mapping)
        and isinstance(e.get("fullUrl"), str)
        and isinstance(r := e.get("resource"), Mapping)
        and isinstance(r.get("id"), str)
    }


def _plainly_ours(resource: Any, own: str, patient: str) -> bool:
    """The common case, read without resolving anything: the Patient itself, or a subject that
    is ``Patient/<patient>`` as written."""
    if type(resource) is not dict:  # JSON objects are dicts; an ABC check costs 10x in this loop
        return True  # not a resource: an invalid one, about no one
    subject = resource.get("subject")
    if type(subject) is dict:
        return subject.get("reference") == own
    return resource.get("resourceType") != "Patient" or resource.get("id") == patient


def _stranger(value: Any, patient: str) -> tuple[Any, str] | None:
    """The first resource of a prefetch value (a resource or a Bundle) about a patient other than
    ``patient``, with that patient's id. A urn that names no id is not read as anyone (it is
    never scored either); absolute and fullUrl references are resolved as the record reads them."""
    bundle = isinstance(value, Mapping) and value.get("resourceType") == "Bundle"
    entries = value.get("entry") if bundle else [{"resource": value}]
    items = entries if isinstance(entries, list) else []
    own, aliases = f"Patient/{patient}", None
    for entry in items:
        resource = entry.get("resource") if type(entry) is dict else None
        if _plainly_ours(resource, own, patient):
            continue
        aliases = _aliases(items) if aliases is None and bundle else aliases or {}
        about = patient_of(resource, aliases)
        if about is not None and about != patient and ":" not in about:
            return resource, about
    return None


def check_patient(request: CdsRequest, templates: Mapping[str, str]) -> None:
    """Refuse a prefetch (or draftOrders) holding a resource about a patient other than
    context.patientId.

    CDS Hooks fills every template with the patient in context, and the order hooks' draft orders
    are that patient's; another patient's Patient, finding or order is an integration error in
    the client, and which of the two the clinician is looking at cannot be told. Scoring either
    would risk showing one patient's data as another's, and dropping the stranger's resources
    silently could score an incomplete record: the call is a 400 naming the key and the resource
    ids, never their data.
    """
    prefetch = request.prefetch or {}
    for key in templates:
        _refuse_strangers(f"prefetch {key!r}", prefetch.get(key), request.context.patientId)
    orders = request.context.draftOrders
    if orders is not None:
        _refuse_strangers("context.draftOrders", orders, request.context.patientId)


def _refuse_strangers(where: str, value: Any, patient: str) -> None:
    found = _stranger(value, patient)
    if found is None:
        return
    resource, other = found
    rtype, rid = resource.get("resourceType"), resource.get("id")
    what = f"{rtype}/{rid}" if isinstance(rid, str) else f"a {rtype}"
    about = "is" if rtype == "Patient" else f"holds {what} about"
    raise InputError(
        f"{where} {about} Patient/{other}, not the patient in context.patientId: the "
        "request must be about the patient in context"
    )


def split_strangers(resources: Iterable[Any], patient: str) -> tuple[list[Any], Counter[str]]:
    """Resources a FHIR server returned, without those about a patient other than ``patient``,
    and how many of each type were left out (a urn names no one: kept, as the record reads it)."""
    kept: list[Any] = []
    left: Counter[str] = Counter()
    own = f"Patient/{patient}"
    for resource in resources:
        if not _plainly_ours(resource, own, patient):
            about = patient_of(resource)
            if about is not None and about != patient and ":" not in about:
                left[str(resource.get("resourceType"))] += 1
                continue
        kept.append(resource)
    return kept, left


def counted(counts: Mapping[str, int]) -> str:
    """Types and counts ("2 Observations, 1 Condition"), never an id."""
    return ", ".join(f"{n} {rtype}{'s' if n > 1 else ''}" for rtype, n in sorted(counts.items()))


def incomplete(counts: Mapping[str, int]) -> str:
    """The warning's headline: "Record may be incomplete: 2 Observations from the FHIR server were
    about another patient — not used" (the cards and $populate's issues say it alike)."""
    were = "were" if sum(counts.values()) > 1 else "was"
    return (
        f"Record may be incomplete: {counted(counts)} from the FHIR server {were} about another "
        "patient — not used"
    )


def stranger_cards(counts: Mapping[str, int], hook_instance: str) -> list[Card]:
    """A warning when the FHIR server's answer held resources about another patient: they were
    not used, and the record may lack what they hold if they are this patient's under another
    record (a merged or linked patient). Counts only: never their ids or data."""
    if not counts:
        return []
    what = counted(counts)
    return [
        Card(
            uuid=card_uuid(hook_instance, "another-patient"),
            summary=shorten(incomplete(counts)),
            detail=(
                "**The record may be incomplete.** Asked for this patient's record, the FHIR "
                f"server also returned resources about another patient: {markdown_text(what)}. "
                "They were not "
                "used: no score, check or card here rests on them. If they belong to this "
                "patient under another record (a merged or linked patient), what they hold is "
                "missing here: check the patient's record on the FHIR server before relying on "
                "these cards."
            ),
            indicator="warning",
            source=Source(label="spinemets"),
        )
    ]
