"""A Bundle that says it holds only part of the answer to its search (contract §2).

Three signs, all the server's own: a ``next`` link (this is one page; more follow), an
OperationOutcome entry of severity ``error`` or ``fatal`` in a searchset (``search.mode``
``outcome``: the server cut the search short — too costly, results suppressed), and a searchset
holding fewer resources than its ``total`` says matched (a client that capped the search and
dropped its links). Scoring such a
Bundle as the patient's record would be a silent guess: the finding that matters may be on the
page not read. The reason given is ours; the server's diagnostics are never repeated.

A Bundle may hold Bundles (a ``batch-response`` answering several searches in one round trip, a
``collection`` of search results): each is judged the same way, and so is each request of a
``batch-response`` that failed (a 4xx or 5xx ``response.status``: that part of the record was never
returned). Bundles nest at most :data:`MAX_NESTING` levels below the input's own; deeper input is
refused rather than read in part.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapter.errors import InputError

__all__ = [
    "MAX_NESTING",
    "inner_reason",
    "page_failed",
    "partial_reason",
    "refuse_partial",
    "search_failed",
    "short_of_total",
]

NEXT_PAGE = "is one page of a search (it has a next link)"
SHORT_OF_TOTAL = "holds {} of the {} resources it matched (Bundle.total)"
CUT_SHORT = "is a search the server reports incomplete (an OperationOutcome entry, severity {})"
FAILED_REQUEST = "has a request that failed (response status {})"
_FAILED = ("error", "fatal")
MAX_NESTING = 2  # a collection of batch-responses of searchsets: the deepest shape seen in use
# Not found and gone answer a read of what is not there: nothing of the record is missing.
_ABSENT = ("404", "410")


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


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "value"


def short_of_total(bundle: Any) -> str | None:
    """Why a searchset with no next link holds less than its ``total`` says matched, else None.
    Every entry but the server's notes counts (an included resource too: a server that counts
    those in its total is not taken for one that cut its answer)."""
    if not isinstance(bundle, dict) or bundle.get("type") != "searchset":
        return None
    total = bundle.get("total")
    if total is None:
        return None
    if type(total) is float and total.is_integer():
        total = int(total)
    if type(total) is not int or total < 0:
        # R4: an unsignedInt. What it holds cannot say the search is whole, so it is not taken
        # for one (the type named, never the value: it comes from elsewhere).
        return f"has a Bundle.total that is not a count (a JSON {_json_type(total)})"
    entries = bundle.get("entry")
    held = sum(
        1
        for entry in (entries if isinstance(entries, list) else ())
        if not (isinstance(entry, dict) and (entry.get("search") or {}).get("mode") == "outcome")
    )
    return SHORT_OF_TOTAL.format(held, total) if held < total else None


def partial_reason(bundle: Any) -> str | None:
    """Why ``bundle`` is known to be partial ("… is one page of a search …"), else None."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None
    if _has_next(bundle):
        return NEXT_PAGE
    severity = search_failed(bundle)
    if severity:
        return CUT_SHORT.format(severity)
    return short_of_total(bundle)


def _failed_request(entry: Any) -> str | None:
    """The status of a batch-response entry whose request failed, else None."""
    response = entry.get("response") if isinstance(entry, dict) else None
    status = response.get("status") if isinstance(response, dict) else None
    code = status.strip()[:3] if isinstance(status, str) else ""
    if code[:1] in ("4", "5") and code.isdigit() and code not in _ABSENT:
        return code
    return None


def _inner(bundle: dict[str, Any]) -> tuple[list[Any], str | None]:
    """The Bundles among a Bundle's entries, and the status of its first failed request."""
    inner: list[Any] = []
    failed = None
    entries = bundle.get("entry")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            inner.append(resource)
        failed = failed or _failed_request(entry)
    return inner, failed


def inner_reason(bundle: Any, depth: int = 0) -> str | None:
    """Why part of ``bundle`` is known to be partial ("has a request that failed …", "holds a
    Bundle that is one page of a search …"), else None; its own links are
    :func:`partial_reason`'s. Bundles nested deeper than :data:`MAX_NESTING` are refused."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return None
    inner, failed = _inner(bundle)
    if failed:
        return FAILED_REQUEST.format(failed)
    if inner and depth >= MAX_NESTING:
        raise InputError(f"the input nests Bundles more than {MAX_NESTING} levels deep")
    for nested in inner:
        reason = partial_reason(nested)
        if reason:
            return f"holds a Bundle that {reason}"
        reason = inner_reason(nested, depth + 1)
        if reason:
            return reason
    return None


def refuse_partial(resource: Any) -> None:
    """Input known to be partial is unusable as a patient's record: refused as a whole (exit 2
    on the command line, 400 for $populate), never scored as if it were all of it. Bundles inside
    it are judged alike, to :data:`MAX_NESTING` levels."""
    reason = partial_reason(resource) or inner_reason(resource)
    if reason:
        raise InputError(f"the input Bundle {reason}: a partial record is not scored")
