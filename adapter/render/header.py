"""The header of the patient's page: who it is about, as the record names them.

Shared by the static page (``spinemets score --format html``) and the SMART app, so both name the
patient the same way: name, birth date ("3 Dec 1960") and record number, each "not recorded" when
the record has none.
"""

from __future__ import annotations

from datetime import UTC
from html import escape

from adapter.fhir.read.records import PatientRecord
from adapter.fhir.read.timing import ClinicalTime, day_text

__all__ = ["computed_text", "patient_header"]

_NONE = "not recorded"


def computed_text(now: ClinicalTime) -> str:
    """When the page was computed, as it was: "4 Dec 2026, 13:18:20 UTC" (never "now")."""
    moment = now.instant.astimezone(UTC) if now.instant.tzinfo else now.instant
    return f"{day_text(moment.date())}, {moment:%H:%M:%S} UTC"


def patient_header(record: PatientRecord | None, patient: str) -> str:
    """Name, birth date and record number (the resource id when the record has no Patient)."""
    name = (record.name if record else None) or _NONE
    born = record.birth_date.day if record and record.birth_date else _NONE
    number = (record.record_number if record else None) or _NONE
    return (
        f'<section aria-label="Patient" data-patient="{escape(patient)}"><dl class="who">'
        f'<dt>Name</dt><dd data-header="name">{escape(name)}</dd>'
        f'<dt>Born</dt><dd data-header="born">{escape(born)}</dd>'
        f'<dt>Record number</dt><dd data-header="record-number">{escape(number)}</dd>'
        "</dl></section>"
    )
