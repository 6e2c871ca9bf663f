"""The second pass: one partition's shards read and scored by the pipeline of ``spinemets
score``, its results written as NDJSON files.

The shards of a partition are joined in chunk order into one NDJSON file, which
:func:`adapter.pipeline.read_patients` reads exactly as ``spinemets score`` reads a file: the
same records, the same issues, the same outputs. Patients are written in the order of their ids.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from adapter.batch.output import stored, write_partition
from adapter.batch.partition import partition_name, read_shard
from adapter.datadirs import private_dir, private_opener
from adapter.errors import OutputError
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.outcome import operation_outcome
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import PatientResult, Scoring, read_patients, score_patient

__all__ = ["Job", "PartitionSummary", "score_partition"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """What every second-pass task needs; sent to worker processes, so plain values only."""

    output: Path
    work: Path
    chunks: int
    partitions: int
    now: ClinicalTime
    scoring: Scoring  # read where the command runs: every worker applies its rules
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
        private_dir(joined.parent)
        with open(joined, "wb", opener=private_opener) as out:
            for chunk in range(job.chunks):
                size += out.write(read_shard(job.work, chunk, partition))
    except OSError as exc:
        joined.unlink(missing_ok=True)
        raise OutputError(f"cannot write {joined} ({exc.strerror})") from None
    if size == 0:
        joined.unlink()
        return None
    return joined


class _Lines:
    """A partition's results as JSON lines by resource type, patients in the order of their ids:
    bytes as soon as scored (a tenth of the memory of the dicts), checked first if asked."""

    def __init__(self, validate: bool) -> None:
        self.patients: list[tuple[str, list[tuple[str, bytes]], tuple[Issue, ...]]] = []
        self.check: Callable[[dict[str, Any]], None] | None = None
        if validate:
            from adapter.fhir.write.validate import validate_r4  # the R4B models: ~0.3 s

            self.check = validate_r4

    def _line(self, resource: dict[str, Any]) -> tuple[str, bytes]:
        if self.check is not None:
            self.check(resource)
        return resource["resourceType"], orjson.dumps(resource) + b"\n"

    def add(self, result: PatientResult) -> None:
        lines = [self._line(resource) for resource in stored(result.on_file())]
        self.patients.append((result.patient, lines, result.file_issues))

    def by_type(self, loose: list[Issue]) -> tuple[dict[str, list[bytes]], int]:
        """The lines of each type, the OperationOutcome's among them; the number of issues."""
        out: dict[str, list[bytes]] = defaultdict(list)
        issues = list(loose)
        for patient, lines, found in sorted(self.patients, key=lambda item: item[0]):
            for rtype, line in lines:
                out[rtype].append(line)
            issues += [
                Issue(
                    i.severity,
                    i.code,
                    f"Patient/{patient}: {i.diagnostics}",
                    i.resource,
                    i.expression,
                )
                for i in found
            ]
        if issues:
            out["OperationOutcome"].append(self._line(operation_outcome(issues))[1])
        return out, len(issues)


def score_partition(job: Job, partition: int) -> PartitionSummary:
    """Score one partition (``job.partitions``: the unassigned resources) and replace its
    result files (idempotent)."""
    name = partition_name(partition, job.partitions)
    summary = PartitionSummary(name)
    joined = _join_shards(job, partition)
    lines: dict[str, list[bytes]] = {}
    if joined is not None:
        results, loose = _Lines(job.validate), list[Issue]()
        try:
            term = default_terminology()
            for data in read_patients(str(joined), loose):
                results.add(score_patient(data, term, now=job.now, scoring=job.scoring))
        finally:
            joined.unlink(missing_ok=True)
        lines, summary.issues = results.by_type(loose)
        summary.patients = len(results.patients)
    counts = write_partition(job.output, name, lines)
    summary.files = {f"{rtype}.{name}.ndjson": n for rtype, n in counts.items()}
    return summary
