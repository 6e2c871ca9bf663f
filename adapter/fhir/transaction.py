"""A patient's outputs as one FHIR transaction that can be sent any number of times.

Observations and RiskAssessments are conditional creates on their deterministic identifier
(``ifNoneExist: identifier=system|value``): a repeat matches what is there and creates nothing.
R4 Provenance has no identifier, so it gets a deterministic id derived from what it targets and
is written with ``PUT Provenance/{id}``: a repeat is an update with the same content, which the
server records as no change. References between the outputs are the entries' urn:uuid fullUrls,
which the server rewrites to the ids it created or matched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from adapter.fhir.build import Built

__all__ = ["provenance_id", "transaction_bundle"]


def provenance_id(provenance: Built) -> str:
    """``spinemets-`` and a hash of the targets: a valid, letter-bearing, stable FHIR id."""
    targets = "|".join(t["reference"] for t in provenance.resource.get("target", []))
    return "spinemets-" + hashlib.sha256(targets.encode()).hexdigest()[:40]


def _entry(built: Built) -> dict[str, Any]:
    resource = built.resource
    rtype = resource["resourceType"]
    if rtype == "Provenance":
        rid = provenance_id(built)
        return {
            "fullUrl": built.full_url,
            "resource": {**resource, "id": rid},
            "request": {"method": "PUT", "url": f"Provenance/{rid}"},
        }
    identifier = resource["identifier"][0]
    query = quote(f"{identifier['system']}|{identifier['value']}", safe="")
    return {
        "fullUrl": built.full_url,
        "resource": resource,
        "request": {"method": "POST", "url": rtype, "ifNoneExist": f"identifier={query}"},
    }


def transaction_bundle(outputs: Sequence[Built]) -> dict[str, Any]:
    """One transaction holding every output of a patient."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [_entry(b) for b in outputs]}
