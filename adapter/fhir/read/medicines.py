"""Medication resources, for the requests and statements that reference them.

A MedicationRequest or MedicationStatement usually names its drug by ``medicationReference``
(that is how most EHRs send orders): the Medication is elsewhere in the same input — a Bundle
entry, an NDJSON line, a searchset entry that ``_include`` added — or contained in the request
(resolved when the request is parsed). Every input path notes the Medications it meets here and
resolves the records once the input is read, so a pretty-printed Bundle, a one-line Bundle and
NDJSON give the same record (contract §2 v3, §4 v3).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapter.fhir.read.records import Coding, MedicationRecord, codings, concept_name

__all__ = ["Medicines"]


class Medicines:
    """The Medications of one input, by ``Medication/id``."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[Coding, ...], str | None]] = {}

    def __bool__(self) -> bool:
        return bool(self._known)

    def __contains__(self, reference: object) -> bool:
        """Whether a reference (``Medication/id`` or a fullUrl) names a Medication kept here: a
        record naming it is resolved."""
        return reference in self._known

    def note(self, resource: Any, full_url: str | None = None) -> bool:
        """Keep a Medication resource (and its fullUrl); False for any other resource."""
        if not isinstance(resource, dict) or resource.get("resourceType") != "Medication":
            return False
        rid, code = resource.get("id"), resource.get("code")
        named = (codings(code), concept_name(code))
        if isinstance(rid, str):
            self._known[f"Medication/{rid}"] = named
        if full_url:
            self._known[full_url] = named
        return True

    def note_bundle(self, bundle: Any) -> None:
        """Keep the Medications among a Bundle's entries."""
        entries = bundle.get("entry") if isinstance(bundle, dict) else None
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict):
                url = entry.get("fullUrl")
                self.note(entry.get("resource"), url if isinstance(url, str) else None)

    def resolved(self, records: Iterable[MedicationRecord]) -> list[MedicationRecord]:
        """The records, each with its referenced Medication's code and name when it had none."""
        return [self._resolve(record) for record in records]

    def _resolve(self, record: MedicationRecord) -> MedicationRecord:
        if record.codes or record.medication is None or record.medication not in self._known:
            return record
        codes, name = self._known[record.medication]
        return record._replace(codes=codes, name=name or record.name)
