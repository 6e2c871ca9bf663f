"""The corpus on disk, in two forms, and its manifest.

- ``patients.ndjson``: one post-processed Synthea Bundle per line, as Synthea writes them
  (transaction, ``urn:uuid`` references, conditional references to the shared resources);
- ``shared.json``: Synthea's organisations, locations, practitioners and roles (one batch
  Bundle; load it first when loading ``patients.ndjson`` into a server);
- ``resources.ndjson``: every resource once, one a line, with literal ``Type/id`` references,
  the shared ones first, then each patient's resources together (bulk-data style);
- ``manifest.json``: what the corpus holds, patient by patient, read from the resources
  themselves (not from spinemets), and how it was made.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from synthea.postprocess import vertebra_levels

__all__ = ["CorpusWriter", "literal_resources", "shared_index", "summarise"]

BONE_LESION = frozenset({"C79.51", "94222008", "C90.00", "109989006"})


def shared_index(shared: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Conditional reference (``Type?identifier=system|value``) → literal ``Type/id``."""
    index = {}
    for resource in shared:
        for ident in resource.get("identifier", []):
            key = f"{resource['resourceType']}?identifier={ident['system']}|{ident['value']}"
            index[key] = f"{resource['resourceType']}/{resource['id']}"
    return index


def literal_resources(bundle: dict[str, Any], shared: dict[str, str]) -> list[dict[str, Any]]:
    """The bundle's resources with every reference literal (``Type/id``)."""
    local = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
    }
    names = {**local, **shared}
    resources = [json.loads(json.dumps(e["resource"])) for e in bundle["entry"]]
    for resource in resources:
        _literal(resource, names)
    return resources


def _literal(node: Any, names: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            if ref not in names:
                raise ValueError(f"reference {ref} names nothing in the corpus")
            node["reference"] = names[ref]
        for value in node.values():
            _literal(value, names)
    elif isinstance(node, list):
        for item in node:
            _literal(item, names)


def _sites(resource: dict[str, Any]) -> list[str]:
    concepts = resource.get("bodySite", [])
    return [c["text"] for c in ([concepts] if isinstance(concepts, dict) else concepts)]


def summarise(bundle: dict[str, Any]) -> dict[str, Any]:
    """One patient's entry in the manifest."""
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    levels: dict[str, list[str]] = {"confirmed": [], "provisional": []}
    extraspinal, conditions, procedures = [], [], []
    spinal = vertebra_levels()
    for r in resources:
        if r["resourceType"] == "Condition":
            coding = r["code"]["coding"][0]
            status = r["verificationStatus"]["coding"][0]["code"]
            conditions.append(
                {
                    "code": coding["code"],
                    "system": coding["system"],
                    "status": status,
                    "sites": _sites(r),
                }
            )
            if coding["code"] in BONE_LESION:
                for site in _sites(r):
                    if site in spinal:
                        levels["confirmed" if status == "confirmed" else "provisional"].append(site)
                    else:
                        extraspinal.append(site)
        elif r["resourceType"] == "Procedure":
            procedures.append(
                {
                    "code": r["code"]["coding"][0]["code"],
                    "sites": _sites(r),
                    "date": r["performedPeriod"]["start"][:10],
                }
            )
    return {
        "id": patient["id"],
        "gender": patient["gender"],
        "birthDate": patient["birthDate"],
        "deceasedDateTime": patient.get("deceasedDateTime"),
        "spinal_levels": levels,
        "extraspinal_sites": extraspinal,
        "conditions": conditions,
        "procedures": procedures,
        "resources": dict(sorted(Counter(r["resourceType"] for r in resources).items())),
    }


class CorpusWriter:
    """Writes the corpus files one patient at a time (memory stays flat in the corpus size)."""

    def __init__(self, directory: Path, shared: list[dict[str, Any]]) -> None:
        self.directory = directory
        self.index = shared_index(shared)
        self.patients: list[dict[str, Any]] = []
        self.count = len(shared)
        batch = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                {
                    "fullUrl": f"urn:uuid:{r['id']}",
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in shared
            ],
        }
        (directory / "shared.json").write_text(_compact(batch), encoding="utf-8")
        self._bundles = (directory / "patients.ndjson").open("w", encoding="utf-8")
        self._resources = (directory / "resources.ndjson").open("w", encoding="utf-8")
        for resource in shared:
            self._resources.write(_compact(resource) + "\n")

    def add(self, bundle: dict[str, Any]) -> None:
        self._bundles.write(_compact(bundle) + "\n")
        for resource in literal_resources(bundle, self.index):
            self._resources.write(_compact(resource) + "\n")
            self.count += 1
        self.patients.append(summarise(bundle))

    def close(self, made: dict[str, Any]) -> dict[str, Any]:
        """Close the files and write the manifest (last: its presence marks a whole corpus)."""
        self._bundles.close()
        self._resources.close()
        manifest = {**made, "resources": self.count, "patients": self.patients}
        (self.directory / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        return manifest


def _compact(resource: dict[str, Any]) -> str:
    return json.dumps(resource, separators=(",", ":"), ensure_ascii=False)
