"""Results as files: resources with ids and relative references, one NDJSON file per resource
type and partition (``Observation.p00017.ndjson``), each replaced atomically.

A partition's files are written to temporary names and renamed over the old ones, and the
partition's files of types it no longer produces are removed: running a partition again (a
retried task, a re-run) leaves exactly its new files, never a duplicate line.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from adapter.datadirs import private_opener
from adapter.errors import OutputError
from adapter.fhir.write.built import Built, full_url
from adapter.fhir.write.transaction import identifier_of
from adapter.vocabulary.systems import SERIES_SID

__all__ = [
    "MANIFEST",
    "output_files",
    "remove_stale",
    "replace_file",
    "stored",
    "write_partition",
]

MANIFEST = "manifest.json"
_OUTPUT = re.compile(r"(?P<type>[A-Z][A-Za-z]+)\.(?P<partition>p\d{5}|unassigned)\.ndjson")
_URN = "urn:uuid:"


def _id_of(built: Built) -> str:
    """The series' UUID where there is one, so that a newer result replaces the older one on a
    server ($import and PUT are updates by id); the fullUrl's UUID otherwise (Provenance)."""
    resource = built.resource
    series = identifier_of(resource, SERIES_SID)
    url = full_url(resource["resourceType"], series) if series else built.full_url
    return url.removeprefix(_URN)


# Where one output points at another (build.py): RiskAssessment.basis, Provenance.target.
_LINKS = ("basis", "derivedFrom", "hasMember", "target")


def stored(outputs: Sequence[Built]) -> list[dict[str, Any]]:
    """A patient's outputs with ids, and with their references to each other (urn:uuid fullUrls
    inside a Bundle) made relative: ready for ``$import`` or a transaction of PUTs."""
    refs = {b.full_url: f"{b.resource['resourceType']}/{_id_of(b)}" for b in outputs}
    out = []
    for built in outputs:
        resource = dict(built.resource)
        for element in _LINKS:
            if element in resource:
                resource[element] = [
                    {**ref, "reference": refs[ref["reference"]]}
                    if ref.get("reference") in refs
                    else ref
                    for ref in resource[element]
                ]
        rtype, rid = refs[built.full_url].split("/")
        resource.pop("resourceType")
        out.append({"resourceType": rtype, "id": rid, **resource})
    return out


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file."""
    temporary = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    try:
        with open(temporary, "wb", opener=private_opener) as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path} ({exc.strerror})") from None


def write_partition(
    directory: Path, partition: str, lines: Mapping[str, Sequence[bytes]]
) -> dict[str, int]:
    """Replace a partition's files with one per resource type (``lines``: its resources, one
    JSON line each); the count written of each."""
    counts: dict[str, int] = {}
    for rtype, items in sorted(lines.items()):
        if items:
            replace_file(directory / f"{rtype}.{partition}.ndjson", b"".join(items))
            counts[rtype] = len(items)
    for path, (rtype, part) in output_files(directory).items():
        if part == partition and rtype not in counts:
            path.unlink(missing_ok=True)  # a type this partition produced before, not now
    return counts


def output_files(directory: Path) -> dict[Path, tuple[str, str]]:
    """The result files in ``directory``: path → (resource type, partition)."""
    found = {}
    for path in directory.iterdir():
        match = _OUTPUT.fullmatch(path.name)
        if match is not None:
            found[path] = (match["type"], match["partition"])
    return found


def remove_stale(directory: Path, keep: Iterable[str]) -> int:
    """Remove result files of an earlier run that this run did not write (another partition
    count); how many were removed."""
    kept = set(keep)
    stale = [path for path in output_files(directory) if path.name not in kept]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
