"""What the client reads from answers: ids, Bundles, error bodies and Retry-After."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from adapter.errors import FhirServerError

__all__ = [
    "FHIR_JSON",
    "bundle_resources",
    "diagnostics",
    "entry_answer",
    "is_fhir_id",
    "next_link",
    "origin",
    "outcome_diagnostics",
    "retry_after",
    "status_code",
]

FHIR_JSON = "application/fhir+json"
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # the FHIR id grammar


def is_fhir_id(value: str) -> bool:
    """Whether ``value`` is a FHIR id (and not ``.`` or ``..``, which name another path)."""
    return bool(_ID.fullmatch(value)) and value not in (".", "..")


def bundle_resources(bundle: Mapping[str, Any]) -> list[Any]:
    """The resources of a Bundle's entries (entries without a resource are skipped)."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return []
    return [e["resource"] for e in entries if isinstance(e, Mapping) and "resource" in e]


def next_link(bundle: Mapping[str, Any]) -> str | None:
    """The URL of a Bundle's ``next`` link, if it has one."""
    for link in bundle.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def diagnostics(content: bytes) -> str | None:
    """The first OperationOutcome diagnostics of an error answer: never printed or logged."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    return outcome_diagnostics(body)


def outcome_diagnostics(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        for issue in body.get("issue") or ():
            if isinstance(issue, dict) and isinstance(issue.get("diagnostics"), str):
                return str(issue["diagnostics"])[:500]
    return None


def status_code(status: object) -> str | None:
    """The three-digit code that starts a Bundle entry's ``response.status``, else None.

    The rest of that line is the server's own words, which are never repeated.
    """
    code = status.split(" ", 1)[0] if isinstance(status, str) else ""
    return code if len(code) == 3 and code.isascii() and code.isdigit() else None


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: callers fall back to their own backoff


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def entry_answer(item: Any) -> dict[str, Any] | FhirServerError:
    """One batch entry's resource, or the error its status says (our words; the server's
    text only as diagnostics, never shown)."""
    entry = item if isinstance(item, dict) else {}
    response = entry.get("response")
    code = status_code(response.get("status")) if isinstance(response, dict) else None
    resource = entry.get("resource") if code == "200" else None
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return resource
    outcome = response.get("outcome") if isinstance(response, dict) else None
    return FhirServerError(
        f"the FHIR server answered {code or 'no status'}",
        status=int(code) if code else None,
        diagnostics=outcome_diagnostics(outcome or entry.get("resource")),
    )
