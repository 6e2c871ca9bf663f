"""Loading a corpus into a FHIR server: PUT transactions, so loading twice changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adapter.fhir.write.load import put_entry, transaction_of
from synthea.outputs import literal_resources, shared_index

__all__ = ["patient_ids", "transactions"]


def transactions(
    corpus: Path, *, max_entries: int = 600, patients: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The shared resources first, then the patients (all, or those named), about
    ``max_entries`` a Bundle.

    A patient is never split: its resources refer to each other, and a server that checks
    references on write needs them in one transaction (or an earlier one).
    """
    shared = [e["resource"] for e in json.loads((corpus / "shared.json").read_text())["entry"]]
    yield transaction_of([put_entry(r) for r in shared])
    index = shared_index(shared)
    batch: list[dict[str, Any]] = []
    with (corpus / "patients.ndjson").open(encoding="utf-8") as lines:
        for line in lines:
            resources = literal_resources(json.loads(line), index)
            patient = next(r["id"] for r in resources if r["resourceType"] == "Patient")
            if patients is not None and patient not in patients:
                continue
            entries = [put_entry(r) for r in resources]
            if batch and len(batch) + len(entries) > max_entries:
                yield transaction_of(batch)
                batch = []
            batch += entries
    if batch:
        yield transaction_of(batch)


def patient_ids(corpus: Path) -> list[str]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [p["id"] for p in manifest["patients"]]
