"""References between input resources, and the one way to find the patient a resource is about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["normalise_reference", "patient_of"]

_NO_ALIASES: Mapping[str, str] = {}


def normalise_reference(reference: Any, aliases: Mapping[str, str] = _NO_ALIASES) -> str | None:
    """``Type/id`` for relative, absolute or urn:uuid references (via the Bundle's fullUrls)."""
    if not isinstance(reference, dict):
        return None
    ref = reference.get("reference")
    if not isinstance(ref, str) or not ref:
        return None
    if ref.count("/") == 1 and not ref.startswith("urn:"):
        return ref  # the common case, relative Type/id
    if ref in aliases:
        return aliases[ref]
    if ref.startswith(("urn:uuid:", "urn:oid:", "#")):
        return ref
    parts = ref.rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else ref


def patient_of(resource: Any, aliases: Mapping[str, str] = _NO_ALIASES) -> str | None:
    """The id of the patient a resource is about: a Patient's own id, else its ``subject``.

    A subject that is a urn:uuid of a Patient without an id stays the urn (a Bundle may link
    resources that way); a subject that is not a Patient gives None.
    """
    if not isinstance(resource, dict):
        return None
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    subject = normalise_reference(resource.get("subject"), aliases)
    if subject is None:
        return None
    if subject.startswith("Patient/"):
        return subject[len("Patient/") :].split("/")[0] or None
    return subject if subject.startswith("urn:") else None
