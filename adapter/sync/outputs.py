"""What spinemets already wrote for a patient: the current resource of each series, and the
duplicates that overlapping writes left on a server that does not serialise conditional creates."""

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
        status=status if isinstance(status := resource.get("status"), str) else "",
    )


@dataclass(frozen=True, slots=True)
class StoredOutputs:
    """Stored outputs grouped by what must be unique: (type, series), else (type, result) for
    resources written before series existed."""

    groups: Mapping[tuple[str, str], tuple[Stored, ...]]

    @property
    def current(self) -> dict[tuple[str, str], Stored]:
        """Series → its one stored resource (series with duplicates are left out)."""
        return {
            (rtype, members[0].series): members[0]
            for (rtype, _), members in self.groups.items()
            if len(members) == 1 and members[0].series is not None
        }

    def duplicates(self, *, series_only: bool = False) -> list[tuple[Stored, ...]]:
        """Groups holding more than one resource, oldest first within each."""
        return [
            members
            for members in self.groups.values()
            if len(members) > 1 and (members[0].series is not None or not series_only)
        ]

    def describe_duplicates(self) -> str:
        parts = [
            f"{g[0].resource_type} {g[0].series or g[0].result} ×{len(g)}"
            for g in self.duplicates(series_only=True)
        ]
        return "; ".join(parts)


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
