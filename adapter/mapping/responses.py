"""A finding read from a QuestionnaireResponse is counted once (contract §2 v3): an Observation
``derivedFrom`` a response that is itself in the input is left out, since the response is the
source of both. That holds whatever the response's status: an amended response that cleared an
answer, or one entered in error, withdraws the Observations extracted from its earlier version."""

from __future__ import annotations

from collections.abc import Iterable

from adapter.fhir.read.records import ObservationRecord

__all__ = ["counted_once"]

_RESPONSE = "QuestionnaireResponse"


def counted_once(
    observations: Iterable[ObservationRecord], in_input: Iterable[str] = ()
) -> list[ObservationRecord]:
    """The observations without those derived from a response that is itself in the input
    (``in_input``: the responses' references, those that record nothing included)."""
    items = list(observations)
    responses = {o.ref.reference for o in items if o.ref.resource_type == _RESPONSE}
    responses |= set(in_input)
    if not responses:
        return items
    return [
        o
        for o in items
        if o.ref.resource_type == _RESPONSE or not responses.intersection(o.derived_from)
    ]
