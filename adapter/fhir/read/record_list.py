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

A prefetch template keeps to CDS Hooks 2.0's recommended query subset (an instance read; a type
search by reference, token and date parameters, ``_count``, ``_sort``): a client that cannot
fill a template omits its key. An ``_include`` is therefore kept apart (``include``): the reads
spinemets makes itself add it (:meth:`RecordSearch.query`), the template leaves it out
(:meth:`RecordSearch.template`). A key added after clients were configured is ``optional``: a
client set up with the earlier discovery document does not send it (adapter.cds.prefetch).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["READ_TYPES", "RECORD_LIST", "RecordSearch", "search_for_key", "search_of"]


@dataclass(frozen=True, slots=True)
class RecordSearch:
    resource_type: str
    params: str  # the search parameters, "{patient}" for the patient id; "" for the Patient read
    prefetch_key: str
    include: str = ""  # an _include target ("MedicationRequest:medication"), never in a template
    optional: bool = False  # a key clients configured before it was added do not send

    def query(self, patient: str) -> str:
        """The read or search for one patient (``patient`` already encoded for a URL, or the
        CDS token ``{{context.patientId}}``), with its ``_include``."""
        if not self.params:
            return f"{self.resource_type}/{patient}"
        search = f"{self.resource_type}?{self.params.replace('{patient}', patient)}"
        return f"{search}&_include={self.include}" if self.include else search

    def template(self) -> str:
        """The CDS prefetch template: the query without its ``_include``."""
        if not self.params:
            return f"{self.resource_type}/{{{{context.patientId}}}}"
        return f"{self.resource_type}?{self.params.replace('{patient}', '{{context.patientId}}')}"


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
        "patient={patient}&status=active,on-hold",
        "medicationRequests",
        include="MedicationRequest:medication",
    ),
    RecordSearch(
        "MedicationStatement",
        "patient={patient}&status=active,intended,on-hold",
        "medicationStatements",
        include="MedicationStatement:medication",
    ),
    # Doses given (§5 criterion 7, §4 the steroid prompt): a stat dexamethasone or today's
    # enoxaparin is often recorded only here (adapter.mapping.medicines, GIVEN_WITHIN). Added
    # after the other keys: optional, for clients configured with the earlier discovery document.
    RecordSearch(
        "MedicationAdministration",
        "patient={patient}&status=completed,in-progress",
        "medicationAdministrations",
        include="MedicationAdministration:medication",
        optional=True,
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


def search_for_key(prefetch_key: str) -> RecordSearch | None:
    """The record list's entry for a CDS prefetch key (None for a key not of the list)."""
    return next((s for s in RECORD_LIST if s.prefetch_key == prefetch_key), None)
