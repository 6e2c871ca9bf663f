"""The second pass: one partition's shards read and scored by the pipeline of ``spinemets
score``, its results written as NDJSON files.

The shards of a partition are joined in chunk order into one NDJSON file, which
:func:`adapter.pipeline.read_patients` reads exactly as ``spinemets score`` reads a file: the
same records, the same issues, the same outputs. Patients are written in the order of their ids.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapter.batch.output import stored, write_partition
from adapter.batch.partition import partition_name, read_shard
from adapter.errors import OutputError
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.outcome import operation_outcome
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import read_patients, score_patient

__all__ = ["Job", "PartitionSummary", "score_partition"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """What every second-pass task needs; sent to worker processes, so plain values only."""

    output: Path
    work: Path
    chunks: int
    partitions: int
    now: ClinicalTime
    original: bool = False
    validate: bool = False


@dataclass(slots=True)
class PartitionSummary:
    partition: str
    patients: int = 0
    issues: int = 0
    files: dict[str, int] = field(default_factory=dict)  # file name → resources in it


def _join_shards(job: Job, partition: int) -> Path | None:
    """The partition's lines from every chunk, in chunk order, as one file; None if none."""
    joined = job.work / "joined" / f"{partition}.{uuid.uuid4().hex}.ndjson"
    size = 0
    try:
        joined.parent.mkdir(parents=True, exist_ok=True)
        with joined.open("wb") as out:
            for chunk in range(job.chunks):
                size += out.write(read_shard(job.work, chunk, partition))
    except OSError as exc:
        joined.unlink(missing_ok=True)
        raise OutputError(f"cannot write {joined} ({exc.strerror})") from None
    if size == 0:
        joined.unlink()
        return None
    return joined


def _score(job: Job, path: Path) -> tuple[dict[str, list[dict[str, Any]]], list[Issue], int]:
    term = default_terminology()
    loose: list[Issue] = []
    per_patient: list[tuple[str, list[dict[str, Any]], tuple[Issue, ...]]] = []
    for data in read_patients(str(path), loose):
        result = score_patient(data, term, now=job.now, original=job.original)
        per_patient.append((result.patient, stored(result.resources()), result.issues))
    per_patient.sort(key=lambda item: item[0])
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    issues = list(loose)
    for patient, resources, found in per_patient:
        for resource in resources:
            by_type[resource["resourceType"]].append(resource)
        issues += [
            Issue(
                i.severity, i.code, f"Patient/{patient}: {i.diagnostics}", i.resource, i.expression
            )
            for i in found
        ]
    return by_type, issues, len(per_patient)


def score_partition(job: Job, partition: int) -> PartitionSummary:
    """Score one partition (``job.partitions``: the unassigned resources) and replace its
    result files (idempotent)."""
    name = partition_name(partition, job.partitions)
    summary = PartitionSummary(name)
    joined = _join_shards(job, partition)
    resources: dict[str, list[dict[str, Any]]] = {}
    try:
        if joined is not None:
            resources, issues, summary.patients = _score(job, joined)
            if issues:
                resources["OperationOutcome"] = [operation_outcome(issues)]
                summary.issues = len(issues)
    finally:
        if joined is not None:
            joined.unlink(missing_ok=True)
    if job.validate:
        from adapter.fhir.write.validate import validate_r4  # the R4B models: ~0.3 s to import

        for items in resources.values():
            for item in items:
                validate_r4(item)
    counts = write_partition(job.output, name, resources)
    summary.files = {f"{rtype}.{name}.ndjson": n for rtype, n in counts.items()}
    return summary
