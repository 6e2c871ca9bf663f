"""A patient's outputs as one FHIR transaction that can be sent any number of times.

Every entry is a conditional create, so a repeat matches what is there and creates nothing:
Observations and RiskAssessments on their deterministic identifier; the Provenance, which has no
identifier in R4, on a deterministic ``meta.tag`` derived from what it targets (``_tag`` is a
search parameter of every resource). ``Provenance.recorded`` can then stay the real computation
time without making a repeat differ. References between the outputs are the entries' urn:uuid
fullUrls, which the server rewrites to the ids it created or matched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from adapter.fhir.write.build import Built

__all__ = ["PROVENANCE_TAG", "provenance_tag", "transaction_bundle"]

PROVENANCE_TAG = "http://spinemets.org/fhir/sid/provenance"


def provenance_tag(provenance: Built) -> str:
    """A hash of the Provenance's targets, whose fullUrls derive from the outputs' identifiers."""
    targets = "|".join(t["reference"] for t in provenance.resource.get("target", []))
    return hashlib.sha256(targets.encode()).hexdigest()[:40]


def _condition(system: str, value: str, parameter: str) -> str:
    return f"{parameter}={quote(f'{system}|{value}', safe='')}"


def _entry(built: Built) -> dict[str, Any]:
    resource = built.resource
    rtype = resource["resourceType"]
    if rtype == "Provenance":
        tag = provenance_tag(built)
        resource = {**resource, "meta": {"tag": [{"system": PROVENANCE_TAG, "code": tag}]}}
        condition = _condition(PROVENANCE_TAG, tag, "_tag")
    else:
        identifier = resource["identifier"][0]
        condition = _condition(identifier["system"], identifier["value"], "identifier")
    return {
        "fullUrl": built.full_url,
        "resource": resource,
        "request": {"method": "POST", "url": rtype, "ifNoneExist": condition},
    }


def transaction_bundle(outputs: Sequence[Built]) -> dict[str, Any]:
    """One transaction holding every output of a patient."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [_entry(b) for b in outputs]}
