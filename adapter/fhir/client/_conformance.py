"""Publishing spinemets' conformance resources (CodeSystems, ValueSets, ConceptMaps,
StructureDefinitions, Questionnaires) on a FHIR server, idempotently by canonical URL.

Each resource is written with a conditional update, ``PUT [type]?url=[canonical]``: the server
creates it when no resource has that URL and updates the one that has, so running the upload
again changes nothing but, at most, the version history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from adapter.datadirs import data_dir
from adapter.errors import MappingError
from adapter.fhir.client._client import FhirClient

__all__ = [
    "Uploaded",
    "conformance_files",
    "default_profiles_dir",
    "default_questionnaires_dir",
    "upload_conformance",
]

# Terminology before profiles and forms: a server may check bindings when it stores them.
_ORDER = {
    "CodeSystem": 0,
    "ValueSet": 1,
    "ConceptMap": 2,
    "StructureDefinition": 3,
    "Questionnaire": 4,
}


@dataclass(frozen=True, slots=True)
class Uploaded:
    resource_type: str
    url: str
    server_id: str | None
    version_id: str | None


def default_profiles_dir() -> Path:
    """``$SPINEMETS_PROFILES``, else the repository's profiles/, else the copy in the wheel."""
    return data_dir("profiles")


def default_questionnaires_dir() -> Path:
    """``$SPINEMETS_QUESTIONNAIRES``, else the repository's questionnaires/, else the wheel's."""
    return data_dir("questionnaires")


def conformance_files(directories: Iterable[Path]) -> list[dict[str, Any]]:
    """Every conformance resource of the directories, terminology first."""
    resources = []
    for directory in directories:
        for path in sorted(directory.glob("*.json")):
            try:
                resource = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise MappingError(f"{path.name}: not JSON ({exc.msg})") from None
            if resource.get("resourceType") not in _ORDER or not resource.get("url"):
                raise MappingError(f"{path.name}: not a conformance resource with a url")
            resources.append(resource)
    return sorted(resources, key=lambda r: (_ORDER[r["resourceType"]], r["url"]))


async def upload_conformance(
    client: FhirClient, resources: Iterable[dict[str, Any]]
) -> list[Uploaded]:
    """Create or update each resource by its canonical URL, one after another."""
    done = []
    for resource in resources:
        rtype, url = resource["resourceType"], resource["url"]
        stored = await client.put(f"{rtype}?url={quote(url, safe='')}", resource)
        meta = stored.get("meta") or {}
        done.append(Uploaded(rtype, url, stored.get("id"), meta.get("versionId")))
    return done
