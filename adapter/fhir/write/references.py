"""References between outputs for channels without a Bundle (CDS Hooks actions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapter.fhir.write.built import Built

__all__ = ["logical_references"]


def logical_references(outputs: Sequence[Built]) -> list[dict[str, Any]]:
    """The outputs with references to each other's urn:uuid fullUrls made logical.

    Inside a Bundle the server resolves those urns; a channel without one (CDS Hooks actions,
    created one by one by the EHR) gets ``{type, identifier}`` instead, which any reader resolves.
    """
    by_url = {
        b.full_url: {"type": b.resource["resourceType"], "identifier": b.resource["identifier"][0]}
        for b in outputs
        if "identifier" in b.resource
    }

    def swap(ref: dict[str, Any]) -> dict[str, Any]:
        return by_url.get(ref.get("reference", ""), ref)

    out = []
    for built in outputs:
        resource = dict(built.resource)
        for element in ("basis", "derivedFrom", "target"):
            if element in resource:
                resource[element] = [swap(ref) for ref in resource[element]]
        out.append(resource)
    return out
