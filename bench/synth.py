"""Deterministic synthetic patients as NDJSON (bench input).

Two sizes: ``large`` (about 60 resources: three levels, two rounds of imaging findings, labs)
and ``small`` (12 resources: one level, one round of findings, KPS, Frankel, two labs).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LEVELS = [f"T{n}" for n in range(1, 13)] + [f"L{n}" for n in range(1, 6)]
SINS = {
    "spinal-pain": ["mechanical", "non-mechanical", "pain-free"],
    "bone-lesion-quality": ["lytic", "mixed", "blastic"],
    "spinal-alignment": ["subluxation", "de-novo-deformity", "normal"],
    "vertebral-body-collapse": ["gt-50", "lt-50", "none-gt-50-involved", "none"],
    "posterolateral-involvement": ["bilateral", "unilateral", "none"],
}
PRIMARIES = ["C34.90", "C50.919", "C61", "C64.1", "C18.9", "C15.9", "C90.00", "C73"]


def _obs(pid: str, oid: str, code: dict, when: str, **value) -> dict:
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": {"coding": [code]},
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": when, **value}  # fmt: skip


def patient_resources(n: int, rnd: random.Random, size: str = "large") -> Iterator[dict]:
    if size == "small":
        yield from _small_patient(n, rnd)
        return
    pid = f"bench-{n}"
    yield {"resourceType": "Patient", "id": pid, "gender": rnd.choice(["male", "female"])}
    yield {"resourceType": "Condition", "id": f"{pid}-prim", "subject": {"reference": f"Patient/{pid}"},
           "clinicalStatus": {"coding": [{"code": "active"}]},
           "code": {"coding": [{"system": ICD, "code": rnd.choice(PRIMARIES)}]}, "recordedDate": "2024-01-10"}  # fmt: skip
    levels = rnd.sample(LEVELS, 3)
    for i, level in enumerate(levels):
        yield {"resourceType": "Condition", "id": f"{pid}-met{i}", "subject": {"reference": f"Patient/{pid}"},
               "code": {"coding": [{"system": ICD, "code": "C79.51"}]},
               "bodySite": [{"coding": [{"system": VERTEBRA, "code": level}]}], "onsetDateTime": "2024-03-01"}  # fmt: skip
    if rnd.random() < 0.5:
        yield {"resourceType": "Condition", "id": f"{pid}-liver", "subject": {"reference": f"Patient/{pid}"},
               "code": {"coding": [{"system": ICD, "code": "C78.7"}]}, "recordedDate": "2024-03-02"}  # fmt: skip
    k = 0
    for day in ("2024-03-05", "2024-04-05"):  # an older and a newer round of imaging findings
        for level in levels:
            for code, answers in SINS.items():
                k += 1
                yield _obs(pid, f"{pid}-f{k}", {"system": FINDING, "code": code}, f"{day}T10:00:00Z",
                           bodySite={"coding": [{"system": VERTEBRA, "code": level}]},
                           valueCodeableConcept={"coding": [{"system": FINDING, "code": rnd.choice(answers)}]})  # fmt: skip
    for j, day in enumerate(("2024-02-01", "2024-03-01", "2024-04-01")):
        yield _obs(pid, f"{pid}-kps{j}", {"system": "http://loinc.org", "code": "89243-0"}, day,
                   valueInteger=rnd.choice(range(30, 101, 10)))  # fmt: skip
    yield _obs(pid, f"{pid}-frankel", {"system": FINDING, "code": "frankel-grade"}, "2024-04-01",
               valueCodeableConcept={"coding": [{"system": FINDING, "code": rnd.choice(["frankel-d", "frankel-e"])}]})  # fmt: skip
    for j in range(20):  # labs the adapter does not read
        yield _obs(pid, f"{pid}-lab{j}", {"system": "http://loinc.org", "code": "2345-7"}, "2024-04-02",
                   valueQuantity={"value": round(rnd.uniform(70, 140), 1), "unit": "mg/dL"})  # fmt: skip


def _small_patient(n: int, rnd: random.Random) -> Iterator[dict]:
    pid = f"bench-{n}"
    yield {"resourceType": "Patient", "id": pid, "gender": rnd.choice(["male", "female"])}
    yield {"resourceType": "Condition", "id": f"{pid}-prim", "subject": {"reference": f"Patient/{pid}"},
           "clinicalStatus": {"coding": [{"code": "active"}]},
           "code": {"coding": [{"system": ICD, "code": rnd.choice(PRIMARIES)}]}, "recordedDate": "2024-01-10"}  # fmt: skip
    level = rnd.choice(LEVELS)
    yield {"resourceType": "Condition", "id": f"{pid}-met0", "subject": {"reference": f"Patient/{pid}"},
           "code": {"coding": [{"system": ICD, "code": "C79.51"}]},
           "bodySite": [{"coding": [{"system": VERTEBRA, "code": level}]}], "onsetDateTime": "2024-03-01"}  # fmt: skip
    for k, (code, answers) in enumerate(SINS.items()):
        yield _obs(pid, f"{pid}-f{k}", {"system": FINDING, "code": code}, "2024-04-05T10:00:00Z",
                   bodySite={"coding": [{"system": VERTEBRA, "code": level}]},
                   valueCodeableConcept={"coding": [{"system": FINDING, "code": rnd.choice(answers)}]})  # fmt: skip
    yield _obs(pid, f"{pid}-kps0", {"system": "http://loinc.org", "code": "89243-0"}, "2024-04-01",
               valueInteger=rnd.choice(range(30, 101, 10)))  # fmt: skip
    yield _obs(pid, f"{pid}-frankel", {"system": FINDING, "code": "frankel-grade"}, "2024-04-01",
               valueCodeableConcept={"coding": [{"system": FINDING, "code": rnd.choice(["frankel-d", "frankel-e"])}]})  # fmt: skip
    for j in range(2):
        yield _obs(pid, f"{pid}-lab{j}", {"system": "http://loinc.org", "code": "2345-7"}, "2024-04-02",
                   valueQuantity={"value": round(rnd.uniform(70, 140), 1), "unit": "mg/dL"})  # fmt: skip


def write_ndjson(path: Path, patients: int, seed: int = 7, size: str = "large") -> int:
    rnd = random.Random(seed)
    count = 0
    with path.open("w") as out:
        for n in range(patients):
            for resource in patient_resources(n, rnd, size):
                out.write(json.dumps(resource, separators=(",", ":")) + "\n")
                count += 1
    return count


def write_export(directory: Path, patients: int, seed: int = 7, per_file: int = 100_000) -> int:
    """The same patients as a Bulk Data export: NDJSON files per resource type
    (``Patient.000.ndjson``, ``Observation.003.ndjson``…), at most ``per_file`` lines each."""
    rnd = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[int, int, object]] = {}  # type → (file number, lines in it, handle)
    count = 0
    try:
        for n in range(patients):
            for resource in patient_resources(n, rnd):
                rtype = resource["resourceType"]
                number, lines, handle = files.get(rtype, (-1, per_file, None))
                if lines >= per_file:
                    if handle is not None:
                        handle.close()
                    number, lines = number + 1, 0
                    handle = (directory / f"{rtype}.{number:03d}.ndjson").open("w")
                handle.write(json.dumps(resource, separators=(",", ":")) + "\n")
                files[rtype] = (number, lines + 1, handle)
                count += 1
    finally:
        for _, _, handle in files.values():
            handle.close()
    return count


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="synthetic patients as a Bulk Data export")
    parser.add_argument("--export", type=Path, required=True, help="directory to write")
    parser.add_argument("--patients", type=int, default=1000)
    args = parser.parse_args()
    print(f"{write_export(args.export, args.patients)} resources in {args.export}")
