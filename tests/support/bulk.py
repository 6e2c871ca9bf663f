"""A small Bulk Data export for the batch tests, and the results read back.

The export holds the seed and edge fixtures (those whose references are all relative, as an
export's are) and synthetic patients from bench/synth.py, split into NDJSON files per resource
type as a Bulk Data server writes them (several Observation files), plus what an export also
holds: resource types no score reads, and resources that name no patient.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from adapter.batch.output import stored
from adapter.fhir.write.built import Built
from bench.synth import patient_resources

ROOT = Path(__file__).resolve().parents[2]
NOW = "2025-01-01T00:00:00Z"

EXTRA: list[dict[str, Any]] = [
    {"resourceType": "Condition", "id": "orphan", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C79.51"}]}},
    {"resourceType": "Observation", "id": "group-kps", "status": "final", "subject": {"reference": "Group/g1"},
     "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}, "valueInteger": 70},
    {"resourceType": "Medication", "id": "m1", "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "B01AF01"}]}},
    {"resourceType": "Immunization", "id": "i1", "status": "completed", "patient": {"reference": "Patient/seed-01"}},
    {"resourceType": "Group", "id": "g1", "type": "person", "actual": True},
]  # fmt: skip


def _relative_only(resources: list[dict[str, Any]]) -> bool:
    text = json.dumps(resources)
    return '"reference": "urn:' not in text and all("id" in r for r in resources)


def fixture_resources() -> list[dict[str, Any]]:
    out = []
    for path in sorted((ROOT / "fixtures" / "seed").glob("*.json")) + sorted(
        (ROOT / "fixtures" / "edge").glob("*.json")
    ):
        resources = [e["resource"] for e in json.loads(path.read_text())["entry"]]
        if _relative_only(resources):
            out += resources
    return out


def write_export(
    directory: Path, synthetic: int = 30, per_file: int = 400, *, fixtures: bool = True
) -> list[Path]:
    """The export's files, by type, at most ``per_file`` lines each; their paths in order."""
    rnd = random.Random(11)
    resources = fixture_resources() if fixtures else []
    for n in range(synthetic):
        resources += patient_resources(n, rnd)
    resources += EXTRA
    by_type: dict[str, list[str]] = defaultdict(list)
    for resource in resources:
        by_type[resource["resourceType"]].append(json.dumps(resource, separators=(",", ":")))
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for rtype, lines in sorted(by_type.items()):
        for i in range(0, len(lines), per_file):
            path = directory / f"{rtype}.{i // per_file:03d}.ndjson"
            path.write_text("\n".join(lines[i : i + per_file]) + "\n")
            paths.append(path)
    return paths


def batch_results(directory: Path) -> tuple[list[Any], list[Any]]:
    """The result resources of a batch output directory and its issues, sorted."""
    resources, issues = [], []
    for path in sorted(directory.glob("*.ndjson")):
        for line in path.read_text().splitlines():
            resource = json.loads(line)
            if resource["resourceType"] == "OperationOutcome":
                issues += resource["issue"]
            else:
                resources.append(resource)
    return _sorted(resources), _sorted(issues)


def score_results(bundle: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The same from a `spinemets score` Bundle, its outputs given ids as batch gives them."""
    entries = bundle["entry"]
    outputs = [Built(e["resource"], e["fullUrl"]) for e in entries
               if e["resource"]["resourceType"] != "OperationOutcome"]  # fmt: skip
    issues = [i for e in entries if e["resource"]["resourceType"] == "OperationOutcome"
              for i in e["resource"]["issue"] if i["diagnostics"] != "No issues."]  # fmt: skip
    return _sorted(stored(outputs)), _sorted(issues)


def _sorted(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
