"""spinemets' conformance resources as a FHIR package (the NPM-style ``package.tgz`` of the FHIR
package specification): ``package/package.json`` and one file per resource, each with a generated
narrative, so that the HL7 validator (``-ig package.tgz``), an IG publisher or a FHIR server's
package loader can take the CodeSystems, ValueSets, ConceptMaps and Questionnaires in one file.

The archive is reproducible: the same resources give the same bytes (fixed times, sorted names).
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from adapter import __version__
from adapter.fhir.write.narrative import with_narrative
from adapter.vocabulary.systems import BASE

__all__ = ["PACKAGE_NAME", "build_package", "conformance_narrative", "package_manifest"]

PACKAGE_NAME = "org.spinemets.fhir"
_LISTED = 40  # codes, items or elements named in a narrative; the rest are counted


def _codes(concepts: Sequence[dict[str, Any]]) -> list[str]:
    named = [f"{c['code']}: {c.get('display', '')}".rstrip(": ") for c in concepts[:_LISTED]]
    more = len(concepts) - _LISTED
    return named + ([f"and {more} more"] if more > 0 else [])


def _content(resource: dict[str, Any]) -> list[str]:
    rtype = resource["resourceType"]
    if rtype == "CodeSystem":
        concepts = resource.get("concept") or []
        return [f"{len(concepts)} codes", *_codes(concepts)]
    if rtype == "ValueSet":
        parts = (resource.get("compose") or {}).get("include") or []
        lines = []
        for part in parts:
            concepts, filters = part.get("concept") or [], part.get("filter") or []
            what = [f"{len(concepts)} codes"] if concepts else []
            what += [f"{f.get('op')} {f.get('value')}" for f in filters[:_LISTED]]
            lines.append(f"From {part.get('system')}: {', '.join(what) or 'all codes'}")
        return lines
    if rtype == "ConceptMap":
        groups = resource.get("group") or []
        return [
            f"{g.get('source')} → {g.get('target')}: {len(g.get('element') or [])} codes mapped"
            for g in groups
        ]
    if rtype == "Questionnaire":
        items = resource.get("item") or []
        return [f"{len(items)} items", *(i.get("text", i.get("linkId", "")) for i in items)]
    return []


def conformance_narrative(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with a generated narrative of what it holds (its own, if it has one)."""
    if resource.get("text"):
        return resource
    head = resource.get("title") or resource.get("name") or resource.get("id", "")
    lines = [str(head), str(resource.get("description", "")), *_content(resource)]
    return with_narrative(resource, lines)


def package_manifest(version: str = __version__) -> dict[str, Any]:
    """``package.json`` as the FHIR package specification defines it."""
    return {
        "name": PACKAGE_NAME,
        "version": version,
        "canonical": BASE,
        "title": "spinemets conformance resources",
        "description": (
            "CodeSystems, ValueSets, ConceptMaps and Questionnaires of spinemets, a FHIR adapter "
            "for spinal-metastasis decision support (SINS, Tomita, revised Tokuhashi)."
        ),
        "fhirVersions": ["4.0.1"],
        "type": "fhir.ig",
        "license": "Apache-2.0",
        "author": "spinemets",
        # The Questionnaires claim SDC's profiles (contract §7).
        "dependencies": {"hl7.fhir.r4.core": "4.0.1", "hl7.fhir.uv.sdc": "4.0.0-ballot"},
    }


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(f"package/{name}")
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    archive.addfile(info, io.BytesIO(data))


def build_package(resources: Iterable[dict[str, Any]], version: str = __version__) -> bytes:
    """The gzipped tarball: package.json, .index.json and each resource with its narrative."""
    files: dict[str, dict[str, Any]] = {}
    for resource in resources:
        files[f"{resource['resourceType']}-{resource['id']}.json"] = conformance_narrative(resource)
    index = {
        "index-version": 1,
        "files": [
            {
                "filename": name,
                "resourceType": r["resourceType"],
                "id": r["id"],
                "url": r.get("url"),
                "version": r.get("version"),
            }
            for name, r in sorted(files.items())
        ],
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        _add(archive, "package.json", orjson.dumps(package_manifest(version), option=_INDENT))
        _add(archive, ".index.json", orjson.dumps(index, option=_INDENT))
        for name, resource in sorted(files.items()):
            _add(archive, name, orjson.dumps(resource, option=_INDENT))
    return gzip.compress(raw.getvalue(), mtime=0)


_INDENT = orjson.OPT_INDENT_2
