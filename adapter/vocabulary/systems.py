"""Canonical URLs: the project's own namespaces and the external code systems it reads, and how
people name those systems beside a code.

Every module that names a system or a canonical URL imports it from here, so a URL is written
once. Contract §1 fixes the project's namespaces.
"""

from __future__ import annotations

__all__ = [
    "ASSESSMENT_SID",
    "ATC",
    "AUDIT_ENTITY_TYPE",
    "AUDIT_EVENT_TYPE",
    "AUDIT_OBJECT_ROLE",
    "AUDIT_SOURCE_TYPE",
    "BASE",
    "CATEGORY",
    "CONDITION_CLINICAL",
    "CONDITION_VERIFICATION",
    "CONVERSION_FACTOR",
    "CPT",
    "DATA_ABSENT_REASON",
    "DICOM_DCM",
    "FINDING",
    "ICD10CM",
    "ICD10PCS",
    "ICD10_EDITIONS",
    "LATERALITY_URLS",
    "LOINC",
    "OBSERVATION_CATEGORY",
    "PARTICIPATION_TYPE",
    "PRIMARY_SITE",
    "PROVENANCE_PARTICIPANT",
    "RELATED_CONDITION_URLS",
    "RESTFUL_INTERACTION",
    "RXNORM",
    "SCORE",
    "SERIES_SID",
    "SNOMED",
    "SOFTWARE_SID",
    "UCUM",
    "URI",
    "VERTEBRA",
    "canonical_system",
    "code_label",
    "spellings_of",
]

BASE = "http://spinemets.org/fhir"
SCORE = f"{BASE}/CodeSystem/score"
CATEGORY = f"{BASE}/CodeSystem/category"
FINDING = f"{BASE}/CodeSystem/finding"
VERTEBRA = f"{BASE}/CodeSystem/vertebra"
PRIMARY_SITE = f"{BASE}/CodeSystem/tokuhashi-primary-site"
ASSESSMENT_SID = f"{BASE}/sid/assessment"  # a result: patient, score, level, inputs
SERIES_SID = f"{BASE}/sid/assessment-series"  # its series: patient, score, level (docs/sync.md)
SOFTWARE_SID = f"{BASE}/sid/software"
# The ConceptMap.group.element.target.product property that carries a unit conversion factor.
CONVERSION_FACTOR = f"{BASE}/ConceptMap/ucum-lab-unit-conversion#factor"

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# The other editions of ICD-10 records are coded in: WHO's, and Germany's ICD-10-GM (BfArM, and
# its former DIMDI URL). Their categories are ICD-10-CM's, their finer codes are not (ICD-10-GM's
# S22.01–S22.06 name other vertebrae than ICD-10-CM's), so no map reads them as ICD-10-CM; a
# neoplasm coded in them is named, and a metastasis keeps what it may be open (mapping/unused.py).
ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
ICD10_EDITIONS = frozenset(
    {
        ICD10_WHO,
        "http://fhir.de/CodeSystem/bfarm/icd-10-gm",
        "http://fhir.de/CodeSystem/dimdi/icd-10-gm",
    }
)
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"

# How people name the external systems when a code is shown to them: "SNOMED CT 415112005".
_SYSTEM_NAMES = {
    ICD10CM: "ICD-10-CM",
    ICD10_WHO: "ICD-10",
    "http://fhir.de/CodeSystem/bfarm/icd-10-gm": "ICD-10-GM",
    "http://fhir.de/CodeSystem/dimdi/icd-10-gm": "ICD-10-GM",
    SNOMED: "SNOMED CT",
    LOINC: "LOINC",
    UCUM: "UCUM",
    CPT: "CPT",
    ICD10PCS: "ICD-10-PCS",
    RXNORM: "RxNorm",
    ATC: "ATC",
}

# The HL7 OIDs of those systems, as records converted from CDA (and some EHRs) write them: read as
# the URL, so that every comparison of a code (ValueSets, maps, the neoplasm rule) holds either way.
_OID_SYSTEMS = {
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.8": UCUM,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "urn:oid:2.16.840.1.113883.6.4": ICD10PCS,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
}

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# AuditEvent (IHE Basic Audit Log Patterns style; mappings/README.md lists the codes used).
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
AUDIT_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
AUDIT_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
URI = "urn:ietf:rfc:3986"

# Extensions linking a metastasis Condition to its primary tumour (contract §2): the core
# extension mCODE uses since STU2.1, and the two older mCODE ones.
# The side of a bodySite (mCODE STU2 and later, and STU1): its valueCodeableConcept is a SNOMED
# CT laterality qualifier ("Left (qualifier value)"), read with the site's own codings.
LATERALITY_URLS = frozenset(
    {
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier",
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality",
    }
)
RELATED_CONDITION_URLS = frozenset(
    {
        "http://hl7.org/fhir/StructureDefinition/condition-related",
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition",
        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-condition",
    }
)


def code_label(system: str | None, code: str) -> str:
    """A code as people read it, its system named when it is one they know: "SNOMED CT 415112005";
    a local or unknown system's code alone."""
    name = _SYSTEM_NAMES.get(system or "")
    return f"{name} {code}" if name else code


# The other spellings producers give those systems' URLs: https for http, a trailing slash.
_SPELLINGS = {
    **{url: url for url in _SYSTEM_NAMES},
    # spinemets' own systems, the commonest in its inputs: found at once, never tried as SNOMED
    **{url: url for url in (FINDING, VERTEBRA, PRIMARY_SITE)},
    **_OID_SYSTEMS,
    **{f"{url}/": url for url in _SYSTEM_NAMES},
    **{url.replace("http://", "https://", 1): url for url in _SYSTEM_NAMES},
    **{url.replace("http://", "https://", 1) + "/": url for url in _SYSTEM_NAMES},
}
# FHIR's own Condition status systems as producers still write them: the STU3 URLs (records
# converted from DSTU2 or STU3 keep them), https, a trailing slash: the same codes.
_SPELLINGS |= {
    spelling: url
    for url, stu3 in (
        (CONDITION_CLINICAL, "http://hl7.org/fhir/condition-clinical"),
        (CONDITION_VERIFICATION, "http://hl7.org/fhir/condition-ver-status"),
    )
    for spelling in (
        stu3, f"{stu3}/", url, f"{url}/", url.replace("http://", "https://", 1),
        url.replace("http://", "https://", 1) + "/",
    )
}  # fmt: skip
# SNOMED CT's edition and version URIs (http://snomed.info/sct/731000124108, …/version/20240301),
# which some producers write in Coding.system instead of Coding.version: the same codes.
_SNOMED_EDITIONS = (f"{SNOMED}/", "https://snomed.info/sct/")


def spellings_of(system: str) -> tuple[str, ...]:
    """The other spellings records write for a system the mappings name by its URL (its HL7
    OID, https, a trailing slash): each reads as the URL (:func:`canonical_system`)."""
    return tuple(sorted(k for k, url in _SPELLINGS.items() if url == system and k != system))


def canonical_system(system: str) -> str:
    """A code system as the mappings name it: its URL for the HL7 OID of a system we know, for
    https or a trailing slash, and SNOMED CT's for an edition URI."""
    found = _SPELLINGS.get(system)
    if found is not None:
        return found
    if system.startswith(_SNOMED_EDITIONS) and system.rpartition("/")[2].isdigit():
        return SNOMED
    return system
