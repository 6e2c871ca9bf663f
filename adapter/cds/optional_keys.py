"""Prefetch keys added after clients were configured: scored without, and said so.

A CDS client configured with an earlier discovery document fills only the keys it knew. A key
the record list marks ``optional`` (adapter/fhir/read/record_list.py) that such a client leaves
out, with no ``fhirServer`` to read it from, does not turn every call into a 412 — which would
hide even the critical cord-compression card: the record is scored without it, and one warning
card names what was not counted. A required key missing keeps the 412; an optional key the
client sent as an OperationOutcome (it knew the key and failed) too.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapter.cds.cards import card_uuid
from adapter.cds.models import Card, CdsRequest, Source
from adapter.fhir.read.record_list import search_for_key
from adapter.vocabulary.cards import markdown_text, shorten

__all__ = ["omitted_cards", "omitted_keys", "optional_key"]

# What leaving out each optional key costs, as the card says it (summary, what to check).
_MISSING: Mapping[str, tuple[str, str]] = {
    "medicationAdministrations": (
        "Doses given were not sent",
        "a dose given today is not counted — check the medication administration record",
    ),
}


def optional_key(key: str) -> bool:
    search = search_for_key(key)
    return search is not None and search.optional


def omitted_keys(request: CdsRequest, templates: Mapping[str, str]) -> tuple[str, ...]:
    """The optional keys missing from the prefetch with no fhirServer to read them from."""
    prefetch = request.prefetch or {}
    if request.fhirServer is not None:
        return ()
    return tuple(k for k in templates if k not in prefetch and optional_key(k))


def omitted_cards(keys: tuple[str, ...], hook_instance: str) -> list[Card]:
    """One warning for the optional keys scored without, worded like the another-patient one."""
    if not keys:
        return []
    said = [_MISSING.get(k, (f"Prefetch {k} was not sent", "check the record")) for k in keys]
    named = ", ".join(keys)
    costs = "; ".join(cost for _, cost in said)
    return [
        Card(
            uuid=card_uuid(hook_instance, "prefetch-omitted"),
            summary=shorten(f"{said[0][0]} (prefetch {named}): the record may be incomplete"),
            detail=(
                f"**The record may be incomplete.** {said[0][0]} (prefetch "
                f"{markdown_text(named)}) and no fhirServer was named: {costs}. The cards here "
                "were computed without it; the EHR's CDS configuration may predate this key of "
                "the discovery document."
            ),
            indicator="warning",
            source=Source(label="spinemets"),
        )
    ]
