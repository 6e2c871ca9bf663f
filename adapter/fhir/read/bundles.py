"""A Bundle's entries as the reader takes them: those of the Bundles inside it in their place
(a searchset answered in a batch-response is the patient's record too), once the whole is known
not to be partial (adapter/fhir/read/partial.py), with the fullUrls that resolve references."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapter.errors import InputError
from adapter.fhir.read.partial import refuse_partial

__all__ = ["Entry", "bundle_entries"]


@dataclass(slots=True)
class Entry:
    """A resource and the fullUrl it came with."""

    resource: Any
    full_url: str | None


def bundle_entries(bundle: Mapping[str, Any]) -> tuple[list[Entry], dict[str, str]]:
    """A Bundle's entries, those of the Bundles inside it in their place (a searchset answered
    in a batch-response is the patient's record too), once the whole is known not partial."""
    refuse_partial(bundle)
    out: list[Entry] = []
    aliases: dict[str, str] = {}
    _collect(bundle, out, aliases)
    return out, aliases


def _collect(bundle: Mapping[str, Any], out: list[Entry], aliases: dict[str, str]) -> None:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry is not a list")
    for entry in entries:
        if not isinstance(entry, dict):
            out.append(Entry(entry, None))
            continue
        resource, full_url = entry.get("resource"), entry.get("fullUrl")
        full_url = full_url if isinstance(full_url, str) else None
        if resource is None:
            continue  # e.g. a DELETE in a transaction: nothing to read
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            _collect(resource, out, aliases)  # as deep as refuse_partial allowed
            continue
        if full_url and isinstance(resource, dict) and isinstance(resource.get("id"), str):
            aliases[full_url] = f"{resource.get('resourceType')}/{resource['id']}"
        out.append(Entry(resource, full_url))
