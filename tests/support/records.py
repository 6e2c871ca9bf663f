"""Small FHIR resources for unit tests: one realistic patient, changed one rule at a time.

The default patient has a confirmed lung primary and one confirmed bone metastasis at T12, the
five SINS findings at T12 (mechanical, lytic, normal, collapse < 50 %, no posterolateral: SINS
10), Frankel E, Bilsky 0 at T12, KPS 80, INR 1.1 and platelets 200 × 10⁹/L, all recorded two
days before the computation time NOW.
"""

from __future__ import annotations

from typing import Any

FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
OPCS4 = "https://fhir.hl7.org.uk/Id/opcs-4"
ATC = "http://www.whocc.no/atc"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
NOW = "2024-06-01T09:00:00Z"
RECENT = "2024-05-30T09:00:00Z"  # two days before NOW
P = "p"

Resource = dict[str, Any]


def site(level: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": VERTEBRA, "code": level}]}]


def patient(pid: str = P, **extra: Any) -> Resource:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1960-03-01",
            **extra}  # fmt: skip


def condition(cid: str, code: str, *, level: str | None = None, verification: str | None = None,
              onset: str = "2024-05-01", system: str = ICD, **extra: Any) -> Resource:  # fmt: skip
    res: Resource = {
        "resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{P}"},
        "code": {"coding": [{"system": system, "code": code}]}, "onsetDateTime": onset, **extra,
    }  # fmt: skip
    if level:
        res["bodySite"] = site(level)
    if verification:
        res["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": verification}]}
    return res


def finding(oid: str, code: str, answer: str, *, level: str | None = None, when: str = RECENT,
            **extra: Any) -> Resource:  # fmt: skip
    res: Resource = {
        "resourceType": "Observation", "id": oid, "status": "final",
        "subject": {"reference": f"Patient/{P}"},
        "code": {"coding": [{"system": FINDING, "code": code}]},
        "valueCodeableConcept": {"coding": [{"system": FINDING, "code": answer}]},
        "effectiveDateTime": when, **extra,
    }  # fmt: skip
    if level:
        res["bodySite"] = site(level)[0]
    return res


def measurement(oid: str, loinc: str, value: float, unit: str | None = None, *,
                when: str = RECENT) -> Resource:  # fmt: skip
    res: Resource = {
        "resourceType": "Observation", "id": oid, "status": "final",
        "subject": {"reference": f"Patient/{P}"},
        "code": {"coding": [{"system": LOINC, "code": loinc}]}, "effectiveDateTime": when,
    }  # fmt: skip
    if unit is None and float(value).is_integer():
        res["valueInteger"] = int(value)
    else:
        res["valueQuantity"] = {"value": value, **({"system": UCUM, "code": unit} if unit else {})}
    return res


SINS_AT_T12 = {
    "spinal-pain": "mechanical",
    "bone-lesion-quality": "lytic",
    "spinal-alignment": "normal",
    "vertebral-body-collapse": "lt-50",
    "posterolateral-involvement": "none",
}


def default_patient(*, drop: tuple[str, ...] = (), sins: dict[str, str] | None = None,
                    extra: tuple[Resource, ...] = ()) -> list[Resource]:  # fmt: skip
    """The default patient; ``drop`` removes resources by id, ``sins`` overrides T12 findings."""
    findings = {**SINS_AT_T12, **(sins or {})}
    out = [
        patient(),
        condition("primary", "C34.90"),
        condition("met-t12", "C79.51", level="T12"),
        *(finding(f"t12-{code}", code, answer, level="T12") for code, answer in findings.items()),
        finding("frankel", "frankel-grade", "frankel-e"),
        finding("bilsky-t12", "epidural-spinal-cord-compression", "bilsky-0", level="T12"),
        measurement("kps", "89243-0", 80),
        measurement("inr", "6301-6", 1.1),
        measurement("platelets", "777-3", 200, "10*9/L"),
    ]
    return [r for r in out if r["id"] not in drop] + list(extra)


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def medication(mid: str, code: str, *, system: str = RXNORM, status: str = "active") -> Resource:
    """An active MedicationRequest (e.g. RxNorm 3264 dexamethasone)."""
    return {
        "resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
        "subject": {"reference": f"Patient/{P}"},
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
        "authoredOn": RECENT,
    }  # fmt: skip


def apixaban_by_reference() -> list[Resource]:
    """The default patient with an apixaban order named by ``medicationReference`` (how most
    EHRs send the drug), a vertebroplasty order at T12 and the Medication the reference names."""
    request = {
        "resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order",
        "subject": {"reference": f"Patient/{P}"}, "authoredOn": "2024-05-20T09:00:00Z",
        "medicationReference": {"reference": "Medication/apx"},
    }  # fmt: skip
    drug = {"resourceType": "Medication", "id": "apx", "code": {"coding": [
        {"system": RXNORM, "code": "1364445", "display": "apixaban 5 MG Oral Tablet"}]}}  # fmt: skip
    return [*default_patient(extra=(request,)), order("vp", "22510", "T12"), drug]


def cement_code(*levels: str) -> str:
    """The CPT vertebroplasty code of the levels' region: 22510 cervicothoracic, else 22511
    lumbosacral (a code for a region none of the ordered levels is in is a warning of its own)."""
    return "22510" if any(level[0] in "CT" for level in levels) else "22511"


def order(oid: str, code: str, *levels: str, reasons: tuple[str, ...] = (),
          status: str = "draft", system: str = CPT, text: str | None = None,
          display: str | None = None, category: str | None = None,
          subject: str = P) -> Resource:  # fmt: skip
    """A ServiceRequest; ``category`` a SNOMED CT code (387713003 surgical, 363679005 imaging)."""
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    res: Resource = {
        "resourceType": "ServiceRequest", "id": oid, "status": status, "intent": "order",
        "code": {"coding": [coding], **({"text": text} if text else {})},
        "subject": {"reference": f"Patient/{subject}"},
    }  # fmt: skip
    if category:
        res["category"] = [{"coding": [{"system": SNOMED, "code": category}]}]
    if levels:
        res["bodySite"] = [site(level)[0] for level in levels]
    if reasons:
        res["reasonReference"] = [{"reference": f"Condition/{r}"} for r in reasons]
    return res


def procedure(pid: str, code: str, *levels: str, when: str = "2024-05-22T10:00:00Z",
              status: str = "completed", system: str = CPT,
              text: str | None = None) -> Resource:  # fmt: skip
    """A Procedure done at ``levels`` (CPT 22511: vertebroplasty; 22842: screw fixation)."""
    res: Resource = {
        "resourceType": "Procedure", "id": pid, "status": status,
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": f"Patient/{P}"}, "performedDateTime": when,
    }  # fmt: skip
    if levels:
        res["bodySite"] = [site(level)[0] for level in levels]
    if text:
        res["code"]["text"] = text
    return res


def draft_orders(*orders: Resource) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": o} for o in orders],
    }


def shifted(resources: list[Resource], now: str) -> list[Resource]:
    """The resources with every date and time moved so that NOW becomes ``now`` (for a real
    server, which computes at the time of the request)."""
    from datetime import datetime

    delta = datetime.fromisoformat(now.replace("Z", "+00:00")) - datetime.fromisoformat(
        NOW.replace("Z", "+00:00")
    )

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:
                if len(value) == 10:
                    moved = datetime.fromisoformat(value) + delta
                    return moved.date().isoformat()
                moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
                return moved.isoformat().replace("+00:00", "Z")
            except ValueError:
                return value
        return value

    return [move(r) for r in resources]


CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def clinical(status: str) -> dict[str, Any]:
    """``condition(..., **clinical("remission"))``: a Condition's clinicalStatus."""
    return {"clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]}}


def bundle(resources: list[Resource]) -> Resource:
    """The resources as a collection Bundle, as ``spinemets score`` reads a file."""
    entries = [{"fullUrl": f"urn:test:{r['resourceType']}/{r['id']}", "resource": r}
               for r in resources]  # fmt: skip
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
