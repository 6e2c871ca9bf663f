"""The first pass: every line of a chunk to the partition of its patient.

Each resource a score reads goes, as its original line, to its patient's partition
(``blake2b`` of the patient id modulo the partition count: stable across processes, machines
and Python versions, unlike ``hash``). Resources of types no score reads, and Observations with
a code no score reads, are dropped here: they are most of an export, and the pipeline would
drop them anyway. A read resource that names no patient goes to the extra ``unassigned``
partition, where the second pass reports it as ``spinemets score`` does.

A chunk is written as one shard file, its lines grouped by partition, and an index of where each
partition's lines start (little-endian uint64 offsets, one per partition and one past the end),
so the second pass reads a partition's lines from every chunk with one seek each and the number
of files stays twice the number of chunks. Both are written under temporary names and renamed
into place, the index last: a task that runs again (Dask re-runs the tasks of a lost worker)
replaces identical content and never appends.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from adapter.batch.source import Chunk, chunk_lines
from adapter.datadirs import private_dir, private_opener
from adapter.errors import InputError, OutputError
from adapter.fhir.read.parse import READ_TYPES
from adapter.fhir.read.records import codings
from adapter.fhir.read.references import patient_of
from adapter.fhir.read.shape import input_limits
from adapter.mapping.extract import read_observation

__all__ = [
    "UNASSIGNED",
    "ShardCounts",
    "partition_name",
    "partition_of",
    "read_shard",
    "shard_chunk",
]

UNASSIGNED = "unassigned"
# Export lines begin with their type: lines of types no score reads are skipped unparsed.
_TYPE_PREFIX = re.compile(rb'\{\s*"resourceType"\s*:\s*"([A-Za-z]+)"')
_SPAN = struct.Struct("<QQ")


def partition_of(patient: str, partitions: int) -> int:
    """The partition of a patient id: the same on every machine, in every run."""
    digest = hashlib.blake2b(patient.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def partition_name(index: int, partitions: int) -> str:
    """``p00017``; the extra last partition (resources with no patient) is ``unassigned``."""
    return UNASSIGNED if index == partitions else f"p{index:05d}"


def _shard_paths(work: Path, chunk: int) -> tuple[Path, Path]:
    base = work / "shards" / f"c{chunk:05d}"
    return base.with_suffix(".ndjson"), base.with_suffix(".index")


@dataclass(slots=True)
class ShardCounts:
    """What one chunk held: lines, resources kept, and what was not read, by type."""

    chunk: int
    lines: int = 0
    kept: int = 0
    unassigned: int = 0
    shuffled: int = 0  # bytes written to the shard
    not_read: Counter[str] = field(default_factory=Counter)


UNUSABLE = "unusable line (not JSON, not a FHIR resource, or over SPINEMETS_MAX_LINE_BYTES)"


def _resource(line: bytes | None) -> dict[str, object] | None:
    """The line's resource; None for a line that is none (counted, the run goes on)."""
    if line is None:
        return None
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError:  # NaN and numbers beyond binary64 too
        return None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return None
    return resource


def _route(chunk: Chunk, counts: ShardCounts, partitions: int) -> list[list[bytes]]:
    """The chunk's lines to keep, grouped by partition (the last group: unassigned)."""
    groups: list[list[bytes]] = [[] for _ in range(partitions + 1)]
    for _, line in chunk_lines(chunk, input_limits().max_line_bytes):
        if line is not None and not line.strip():
            continue
        counts.lines += 1
        prefix = _TYPE_PREFIX.match(line) if line is not None else None
        if prefix is not None and prefix.group(1).decode() not in READ_TYPES:
            counts.not_read[prefix.group(1).decode()] += 1
            continue
        resource = _resource(line)
        if resource is None or line is None:
            counts.not_read[UNUSABLE] += 1
            continue
        rtype = str(resource["resourceType"])
        if rtype not in READ_TYPES:
            counts.not_read[rtype] += 1
            continue
        if rtype == "Observation" and not read_observation(codings(resource.get("code"))):
            counts.not_read["Observation with a code no score reads"] += 1
            continue
        patient = patient_of(resource)
        if patient is None:
            counts.unassigned += 1
            index = partitions
        else:
            counts.kept += 1
            index = partition_of(patient, partitions)
        groups[index].append(line if line.endswith(b"\n") else line + b"\n")
    return groups


def _write(data_path: Path, index_path: Path, groups: list[list[bytes]]) -> int:
    offsets = [0]
    tag = uuid.uuid4().hex
    data_tmp = data_path.with_name(f"{data_path.name}.tmp-{tag}")
    index_tmp = index_path.with_name(f"{index_path.name}.tmp-{tag}")
    try:
        with open(data_tmp, "wb", opener=private_opener) as out:
            for lines in groups:
                out.write(b"".join(lines))
                offsets.append(out.tell())
        with open(index_tmp, "wb", opener=private_opener) as index:
            index.write(struct.pack(f"<{len(offsets)}Q", *offsets))
        os.replace(data_tmp, data_path)
        os.replace(index_tmp, index_path)  # last: the index says the chunk is complete
        return offsets[-1]
    finally:
        data_tmp.unlink(missing_ok=True)
        index_tmp.unlink(missing_ok=True)


def shard_chunk(chunk: Chunk, *, work: Path, partitions: int) -> ShardCounts:
    """Split one chunk by partition into its shard and index (idempotent: see the module)."""
    counts = ShardCounts(chunk.index)
    data_path, index_path = _shard_paths(work, chunk.index)
    try:
        groups = _route(chunk, counts, partitions)
    except OSError as exc:
        raise InputError(f"cannot read {chunk.name} ({exc.strerror})") from None
    try:
        private_dir(data_path.parent)
        counts.shuffled = _write(data_path, index_path, groups)
    except OSError as exc:
        raise OutputError(f"cannot write the shard of {chunk.name} ({exc.strerror})") from None
    return counts


def read_shard(work: Path, chunk: int, partition: int) -> bytes:
    """The lines of one partition (``partitions`` for unassigned) in one chunk's shard."""
    data_path, index_path = _shard_paths(work, chunk)
    try:
        with index_path.open("rb") as index:
            index.seek(partition * 8)
            start, end = _SPAN.unpack(index.read(_SPAN.size))
        with data_path.open("rb") as data:
            data.seek(start)
            return data.read(end - start)
    except (OSError, struct.error) as exc:  # only when workers do not share one filesystem
        raise OutputError(f"cannot read the shard of chunk {chunk} in {work}: {exc}") from None
