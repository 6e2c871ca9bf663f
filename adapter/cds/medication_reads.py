"""The Medications a call's requests name but nobody sent, read from fhirServer by id.

The prefetch templates keep to CDS Hooks' recommended query subset, which has no ``_include``
(adapter/fhir/read/record_list.py): a client fills ``medicationRequests`` with the requests
alone, and a request that names its drug only by ``medicationReference`` would leave criterion 7
"medication not identified". With a ``fhirServer``, each Medication named as ``Medication/<id>``
and not among the gathered resources is read by id, within the call's deadline and byte budget.
A read that fails leaves the drug unidentified (criterion 7 unknown, the safe side), never a 412:
the record is whole, only a name is missing. Absolute references are not read: they may name
another server than fhirServer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from adapter.errors import DataUnavailableError, FhirServerError
from adapter.fhir.client import FhirClient
from adapter.fhir.read.medicines import Medicines

__all__ = ["MAX_MEDICATION_READS", "read_medications", "unresolved_medications"]

log = logging.getLogger("spinemets.cds.prefetch")
MAX_MEDICATION_READS = 50  # distinct Medications read by id in one call
_NAMING = frozenset({"MedicationRequest", "MedicationStatement", "MedicationAdministration"})
_RELATIVE = re.compile(r"Medication/[A-Za-z0-9\-.]{1,64}")  # a FHIR id: no path, no query


def _each(values: Iterable[Any]) -> Iterator[Any]:
    """The resources of the gathered values: a Bundle's entries, or the resource itself."""
    for value in values:
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            entries = value.get("entry")
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict):
                    yield entry.get("resource")
        else:
            yield value


def unresolved_medications(gathered: list[Any]) -> list[str]:
    """``Medication/<id>`` references named by a request, statement or dose and not resolved by
    the gathered resources (as adapter.fhir.read.medicines resolves them), in order, at most
    :data:`MAX_MEDICATION_READS`."""
    known = Medicines()
    named: dict[str, None] = {}
    for value in gathered:
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            known.note_bundle(value)
    for resource in _each(gathered):
        known.note(resource)
        if isinstance(resource, dict) and resource.get("resourceType") in _NAMING:
            reference = resource.get("medicationReference")
            ref = reference.get("reference") if isinstance(reference, dict) else None
            if isinstance(ref, str) and _RELATIVE.fullmatch(ref):
                named[ref] = None
    return [ref for ref in named if ref not in known][:MAX_MEDICATION_READS]


async def _read(client: FhirClient, ref: str) -> dict[str, Any] | None:
    try:
        resource = await client.get(ref)
    except (FhirServerError, DataUnavailableError) as exc:  # DataUnavailable: an http server
        log.warning("fhirServer: %s not read (%s): its drug is not identified", ref, exc)
        return None
    if resource.get("resourceType") != "Medication" or f"Medication/{resource.get('id')}" != ref:
        log.warning("fhirServer: %s answered with another resource: not used", ref)
        return None
    return resource


async def read_medications(client: FhirClient, gathered: list[Any], seconds: float) -> list[Any]:
    """The Medications read by id for the references the gathered resources leave unresolved;
    what is not read within ``seconds`` (the rest of the call's deadline) is left out."""
    wanted = unresolved_medications(gathered)
    if not wanted or seconds <= 0:
        return []
    tasks = [asyncio.ensure_future(_read(client, ref)) for ref in wanted]
    done, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        log.warning("fhirServer: %d Medications not read within the deadline", len(pending))
    return [m for task in done if (m := task.result()) is not None]
