"""A Bundle that says it holds only part of the answer to its search (contract §2).

Two signs, both the server's own: a ``next`` link (this is one page; more follow), and an
OperationOutcome entry of severity ``error`` or ``fatal`` in a searchset (``search.mode``
``outcome``: the server cut the search short — too costly, results suppressed). Scoring such a
Bundle as the patient's record would be a silent guess: the finding that matters may be on the
page not read. The reason given is ours; the server's diagnostics are never repeated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapter.errors import InputError

__all__ = ["page_failed", "partial_reason", "refuse_partial", "search_failed"]

NEXT_PAGE = "is one page of a search (it has a next link)"
CUT_SHORT = "is a search the server reports incomplete (an OperationOutcome entry, severity {})"
_FAILED = ("error", "fatal")


def search_failed(bundle: Any) -> str | None:
    """The severity of the error a searchset reports about its own search, else None.

    Parsed JSON is made of dicts: exact ``dict`` checks, not ``Mapping`` (an ABC check a time),
    as this walks every entry of every prefetch key on each CDS call."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else ():
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
            continue
        search = entry.get("search")
        mode = search.get("mode") if isinstance(search, dict) else None
        if mode != "outcome" and bundle.get("type") != "searchset":
            continue  # an OperationOutcome kept in a collection is a record, not a search's note
        issues = resource.get("issue")
        for issue in issues if isinstance(issues, list) else ():
            severity = issue.get("severity") if isinstance(issue, dict) else None
            if severity in _FAILED:
                return str(severity)
    return None


def page_failed(resources: list[Any]) -> bool:
    """Whether a further page of a search, read as its resources (the entries' ``search`` is not
    kept), holds the server's error about its own search."""
    entries = [{"resource": r} for r in resources]
    return (
        search_failed({"resourceType": "Bundle", "type": "searchset", "entry": entries}) is not None
    )


def _has_next(bundle: Mapping[str, Any]) -> bool:
    links = bundle.get("link")
    return any(
        isinstance(link, dict) and link.get("relation") == "next" and link.get("url")
        for link in (links if isinstance(links, list) else ())
    )


def partial_reason(bundle: Any) -> str | None:
    """Why ``bundle`` is known to be partial ("… is one page of a search …"), else None."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None
    if _has_next(bundle):
        return NEXT_PAGE
    severity = search_failed(bundle)
    return CUT_SHORT.format(severity) if severity else None


def refuse_partial(resource: Any) -> None:
    """Input known to be partial is unusable as a patient's record: refused as a whole (exit 2
    on the command line, 400 for $populate), never scored as if it were all of it."""
    reason = partial_reason(resource)
    if reason:
        raise InputError(f"the input Bundle {reason}: a partial record is not scored")
