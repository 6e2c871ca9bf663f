"""``sync --repair-duplicates``: keep one resource where overlapping writes left several.

A server that does not serialise conditional creates can store two copies of an output when two
writers (a retried request still running, a command-line sync beside the service's re-sync, two
replicas) create it at once. Sync itself withdraws such copies (adapter.sync.outputs); the
repair deletes them instead, and Provenance copies and copies of outputs written before series
existed, which sync leaves as they are. For each group of copies not withdrawn (same series, or
same result for resources written before series existed; Provenances with the same tag) the
repair keeps one and deletes the others, in one transaction, so nothing is left half-done. The
copies are the same computation, so which one stays does not change what the record says; the
one kept is chosen so that no kept resource refers to a deleted one: RiskAssessments first (the
oldest), then the Observations they refer to, then a Provenance whose targets are all kept.
Deleted resources stay in the server's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from adapter.fhir.client import FhirClient
from adapter.fhir.write.transaction import PROVENANCE_TAG, Stored
from adapter.sync.outputs import StoredOutputs, read_stored
from adapter.sync.reader import stored_outputs

__all__ = ["Repair", "plan_repair", "repair_patient"]

_CHUNK = 40  # references per Provenance search: keeps the URL short


@dataclass(frozen=True, slots=True)
class Repair:
    patient: str
    removed: tuple[str, ...]  # Type/id of every deleted copy

    def line(self) -> str:
        if not self.removed:
            return f"Patient/{self.patient}: no duplicates"
        kinds: dict[str, int] = defaultdict(int)
        for ref in self.removed:
            kinds[ref.split("/")[0]] += 1
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        return f"Patient/{self.patient}: removed {len(self.removed)} duplicates ({counts})"


def _references(resource: Mapping[str, Any], element: str) -> set[str]:
    # Version-specific references (Provenance targets may be) name the same resource.
    return {
        r["reference"].split("/_history/")[0]
        for r in resource.get(element) or ()
        if isinstance(r, Mapping) and isinstance(r.get("reference"), str)
    }


def _keep(members: Sequence[Stored], wanted: set[str]) -> Stored:
    """The member that kept resources refer to, else the oldest."""
    return next((m for m in members if m.reference in wanted), members[0])


def _tag(resource: Mapping[str, Any]) -> str | None:
    for tag in (resource.get("meta") or {}).get("tag") or ():
        if isinstance(tag, Mapping) and tag.get("system") == PROVENANCE_TAG:
            code = tag.get("code")
            return code if isinstance(code, str) else None
    return None


def _by_tag(provenances: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Provenances grouped by their tag, oldest first in each group."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for prov in provenances:
        tag = _tag(prov)
        if tag is not None:
            groups[tag].append(prov)
    for copies in groups.values():
        copies.sort(
            key=lambda p: (str((p.get("meta") or {}).get("lastUpdated", "")), len(p["id"]), p["id"])
        )
    return list(groups.values())


def plan_repair(
    stored: StoredOutputs,
    resources: Mapping[str, Mapping[str, Any]],
    provenances: Iterable[Mapping[str, Any]],
) -> list[str]:
    """The references to delete. ``resources`` maps Type/id to the stored outputs' bodies.

    One computation's outputs are kept together: what the oldest Provenance of each tag names,
    then what the kept RiskAssessments are based on; otherwise the oldest copy.
    """
    tags = _by_tag(provenances)
    wanted = set().union(*(_references(copies[0], "target") for copies in tags))
    doomed: set[str] = set()
    groups = stored.duplicates()
    for rtype in ("RiskAssessment", "Observation"):
        for members in (g for g in groups if g[0].resource_type == rtype):
            kept = _keep(members, wanted)
            doomed |= {m.reference for m in members if m is not kept}
        # The Observations to keep are those the kept RiskAssessments are based on.
        for ref, body in resources.items():
            if ref.startswith("RiskAssessment/") and ref not in doomed:
                wanted |= _references(body, "basis")
    for copies in tags:
        clean = [p for p in copies if not _references(p, "target") & doomed]
        kept_prov = clean[0] if clean else None
        doomed |= {f"Provenance/{p['id']}" for p in copies if p is not kept_prov}
    order = {"Provenance": 0, "RiskAssessment": 1, "Observation": 2}
    return sorted(doomed, key=lambda ref: (order.get(ref.split("/")[0], 3), ref))


async def _provenances(client: FhirClient, refs: Sequence[str]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(refs), _CHUNK):
        targets = quote(",".join(refs[start : start + _CHUNK]), safe=",/")
        found += await client.search(f"Provenance?target={targets}&_count=200", fresh=True)
    return [p for p in found if isinstance(p, Mapping) and isinstance(p.get("id"), str)]


async def repair_patient(client: FhirClient, patient: str) -> Repair:
    """Delete the duplicate outputs of one patient, all in one transaction."""
    raw = await stored_outputs(client, patient)
    stored = read_stored(raw)
    resources = {f"{r['resourceType']}/{r['id']}": r for r in raw if isinstance(r.get("id"), str)}
    provenances = await _provenances(client, sorted(resources))
    doomed = plan_repair(stored, resources, provenances)
    if doomed:
        entries = [{"request": {"method": "DELETE", "url": ref}} for ref in doomed]
        await client.transaction(
            {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        )
    return Repair(patient, tuple(doomed))
