"""Records as transaction Bundles a FHIR server applies as they are: each resource PUT under its
own id, so its references resolve and loading twice changes nothing (fixtures, corpora)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["put_entry", "put_transactions", "transaction_of"]


def put_entry(resource: dict[str, Any]) -> dict[str, Any]:
    """One transaction entry: ``PUT [type]/[id]``."""
    url = f"{resource['resourceType']}/{resource['id']}"
    return {"fullUrl": url, "resource": resource, "request": {"method": "PUT", "url": url}}


def transaction_of(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def put_transactions(
    resources: Iterable[dict[str, Any]], *, max_entries: int = 500
) -> Iterator[dict[str, Any]]:
    """The resources as PUT transactions of at most ``max_entries`` entries, in order."""
    batch: list[dict[str, Any]] = []
    for resource in resources:
        batch.append(put_entry(resource))
        if len(batch) == max_entries:
            yield transaction_of(batch)
            batch = []
    if batch:
        yield transaction_of(batch)
