"""What a patient's record is: the resource types and searches spinemets reads, declared once
(contract §2 v3, "one list of what a patient's record is").

Every surface takes its reads from here: the CDS prefetch templates and their fallback reads
(:mod:`adapter.cds.prefetch`), sync and the cohort on a FHIR server (:mod:`adapter.sync.reader`),
and the resource types a file or a Bulk Data export is read for (:data:`READ_TYPES`, used by
:mod:`adapter.fhir.read.parse` and the batch partitioner). A rule that reads a type on one surface
thereby reads it on all.

Each entry is (resource type, search parameters, prefetch key). ``{patient}`` in the parameters
stands for the patient's id; the Patient itself is a read by id. The prefetch keys are part of
the CDS discovery document: clients rely on them, so a key is never renamed or dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["READ_TYPES", "RECORD_LIST", "RecordSearch", "search_of"]


@dataclass(frozen=True, slots=True)
class RecordSearch:
    resource_type: str
    params: str  # the search parameters, "{patient}" for the patient id; "" for the Patient read
    prefetch_key: str

    def query(self, patient: str) -> str:
        """The read or search for one patient (``patient`` already encoded for a URL, or the
        CDS token ``{{context.patientId}}``)."""
        if not self.params:
            return f"{self.resource_type}/{patient}"
        return f"{self.resource_type}?{self.params.replace('{patient}', patient)}"


RECORD_LIST: tuple[RecordSearch, ...] = (
    RecordSearch("Patient", "", "patient"),
    RecordSearch("Condition", "patient={patient}", "conditions"),
    # Findings, performance status, labs, pain and Barthel (a server may narrow it by code).
    RecordSearch("Observation", "patient={patient}&_count=200", "observations"),
    # Index procedures, decompression and radiotherapy, treated levels (§5, §6).
    RecordSearch("Procedure", "patient={patient}", "procedures"),
    RecordSearch("Encounter", "patient={patient}", "encounters"),
    # Antithrombotics (§5 criterion 7) and corticosteroids (§4): what is, or is about to be,
    # taken, paused included, with the Medication each names by reference (how most EHRs send
    # the drug; read beside the requests by adapter.fhir.read.medicines).
    RecordSearch(
        "MedicationRequest",
        "patient={patient}&status=active,on-hold&_include=MedicationRequest:medication",
        "medicationRequests",
    ),
    RecordSearch(
        "MedicationStatement",
        "patient={patient}&status=active,intended,on-hold&_include=MedicationStatement:medication",
        "medicationStatements",
    ),
    # Doses given (§5 criterion 7, §4 the steroid prompt): a stat dexamethasone or today's
    # enoxaparin is often recorded only here (adapter.mapping.medicines, GIVEN_WITHIN).
    RecordSearch(
        "MedicationAdministration",
        "patient={patient}&status=completed,in-progress"
        "&_include=MedicationAdministration:medication",
        "medicationAdministrations",
    ),
    # Complications after a procedure (§6). AdverseEvent has no ``patient`` search parameter.
    RecordSearch("AdverseEvent", "subject=Patient/{patient}", "adverseEvents"),
    # Answers to the project's SINS, neurology and staging Questionnaires (§2 v3, §7); every
    # status, so that a response that is not used can be said to be so.
    RecordSearch("QuestionnaireResponse", "patient={patient}", "questionnaireResponses"),
    # Orders in the record: the text report and the page show the procedure check of each
    # draft or active spine order (§2 v3).
    RecordSearch("ServiceRequest", "patient={patient}&status=draft,active", "serviceRequests"),
)

# Every resource type a patient's record is read for; the rest of an input is never looked at.
READ_TYPES = frozenset(s.resource_type for s in RECORD_LIST)


def search_of(resource_type: str) -> RecordSearch:
    """The record list's entry for a resource type."""
    return next(s for s in RECORD_LIST if s.resource_type == resource_type)
