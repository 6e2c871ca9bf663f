"""What spinemets already wrote for a patient: the resource that holds each series, and the copies
beside it — left by overlapping writes on a server that does not serialise conditional creates, or
made by an EHR that accepted a CDS suggestion (its resources carry sync's identifiers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapter.fhir.write.transaction import Stored, identifier_of
from adapter.vocabulary.systems import ASSESSMENT_SID, SERIES_SID

__all__ = ["StoredOutputs", "read_stored"]


def _stored(resource: Mapping[str, Any]) -> Stored | None:
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(rtype, str) or not isinstance(rid, str):
        return None
    meta = resource.get("meta") or {}
    version = meta.get("versionId") if isinstance(meta, Mapping) else None
    updated = meta.get("lastUpdated") if isinstance(meta, Mapping) else None
    return Stored(
        resource_type=rtype,
        id=rid,
        version=version if isinstance(version, str) else None,
        result=identifier_of(resource, ASSESSMENT_SID),
        series=identifier_of(resource, SERIES_SID),
        updated=updated if isinstance(updated, str) else "",
        status=status if isinstance(status := resource.get("status"), str) else None,
        body=resource,
    )


def _live(members: tuple[Stored, ...]) -> list[Stored]:
    return [m for m in members if not m.withdrawn]


@dataclass(frozen=True, slots=True)
class StoredOutputs:
    """Stored outputs grouped by what must be unique: (type, series), else (type, result) for
    resources written before series existed."""

    groups: Mapping[tuple[str, str], tuple[Stored, ...]]

    @property
    def current(self) -> dict[tuple[str, str], Stored]:
        """Series → the resource that holds it: the oldest one not withdrawn, else the oldest.
        Further copies beside it (:attr:`copies`) are withdrawn by the next write."""
        return {
            (rtype, members[0].series): (_live(members) or members)[0]
            for (rtype, _), members in self.groups.items()
            if members[0].series is not None
        }

    @property
    def copies(self) -> list[tuple[Stored, Stored]]:
        """Each copy not yet withdrawn beside the resource of its series, with that resource."""
        out = []
        for members in self.groups.values():
            live = _live(members)
            if members[0].series is not None and len(live) > 1:
                out += [(copy, live[0]) for copy in live[1:]]
        return out

    def duplicates(self) -> list[tuple[Stored, ...]]:
        """Groups holding more than one resource not withdrawn (those, oldest first): a copy
        already withdrawn is a record of what was there, not a duplicate."""
        groups = [tuple(_live(members)) for members in self.groups.values()]
        return [live for live in groups if len(live) > 1]


def read_stored(resources: Iterable[Mapping[str, Any]]) -> StoredOutputs:
    groups: dict[tuple[str, str], list[Stored]] = defaultdict(list)
    for resource in resources:
        stored = _stored(resource)
        if stored is None or (stored.series is None and stored.result is None):
            continue
        key = stored.series if stored.series is not None else f"result:{stored.result}"
        groups[(stored.resource_type, key)].append(stored)
    ordered = {
        key: tuple(sorted(members, key=lambda s: (s.updated, len(s.id), s.id)))
        for key, members in groups.items()
    }
    return StoredOutputs(ordered)
