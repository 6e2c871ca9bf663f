"""A patient's outputs as one FHIR transaction that brings the server up to date, and only that.

Every Observation and RiskAssessment carries two identifiers (see build.py): the *series*
(patient, score, level: stable) and the *result* (the inputs' content). The server keeps one
resource per series, the current result; its history keeps the older ones. Given what the server
holds (``current``: series → :class:`Stored`), each output is

* absent from the server → a conditional create on its series identifier (``ifNoneExist``), so
  that a write racing another one matches it instead of creating a second resource;
* there with the same result and status → left out: nothing is written (writing the same
  outputs again creates nothing, not even a new version);
* there with another result → an update of that resource (``PUT Type/id`` with ``If-Match`` on
  the version read), status ``final`` as every output (contract §3: a client that searches
  ``status=final`` finds the current score): the older result stops looking current but stays in
  the resource's history, and a concurrent writer's change is never overwritten unseen
  (409/412). The same result stored with another status (``amended``, as earlier versions wrote
  an update) is updated once the same way;
* stored, of a score this computation speaks for, but no longer computed (its basis is gone) →
  withdrawn (adapter.fhir.write.withdraw), an update of the same kind; so is a copy beside the
  resource of its series (the oldest one not withdrawn holds the series).

The Provenance, which has no identifier in R4, names what this transaction wrote and is a
conditional create on a deterministic ``meta.tag`` derived from those writes — each output's
result and, for an update, the version it replaces — so a repeat of a lost answer matches it,
while the same result written again later (A, B, then A again) gets a Provenance of its own.
Without anything to write there is no transaction at all.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from adapter.fhir.write.build import provenance_narrative
from adapter.fhir.write.built import Built
from adapter.fhir.write.withdraw import WITHDRAWN, copy_note, score_code, withdrawal
from adapter.vocabulary.systems import ASSESSMENT_SID, SERIES_SID

__all__ = [
    "PROVENANCE_TAG",
    "Stored",
    "Write",
    "identifier_of",
    "provenance_tag",
    "transaction_bundle",
]

PROVENANCE_TAG = "http://spinemets.org/fhir/sid/provenance"
Write = Literal["create", "update"]


@dataclass(frozen=True, slots=True)
class Stored:
    """One output resource as the FHIR server holds it."""

    resource_type: str
    id: str
    version: str | None
    result: str | None  # its identifier in ASSESSMENT_SID
    series: str | None  # its identifier in SERIES_SID
    updated: str = ""  # meta.lastUpdated
    status: str | None = "final"
    body: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"

    @property
    def withdrawn(self) -> bool:
        return self.status == WITHDRAWN


def identifier_of(resource: Mapping[str, Any], system: str) -> str | None:
    for identifier in resource.get("identifier") or ():
        if isinstance(identifier, Mapping) and identifier.get("system") == system:
            value = identifier.get("value")
            return value if isinstance(value, str) else None
    return None


def provenance_tag(writes: Sequence[str]) -> str:
    """A hash of the writes a Provenance records (see :func:`_write_key`)."""
    return hashlib.sha256("|".join(writes).encode()).hexdigest()[:40]


def _write_key(target: str, replaced: Stored | None) -> str:
    """One write as the Provenance tag knows it: what is written (a fullUrl derived from the
    result, or the reference withdrawn) and, for an update, the version it replaces. The same
    result written again later replaces another version, so it gets a Provenance of its own; a
    repeat of the same transaction (its answer lost) replaces the same one and matches it."""
    if replaced is None:
        return target
    return f"{target}<{replaced.reference}/_history/{replaced.version or ''}@{replaced.updated}"


@functools.lru_cache(maxsize=64)
def _quoted_system(system: str) -> str:
    return quote(system, safe="")


def _condition(system: str, value: str, parameter: str) -> str:
    # Quoting is per character, so the parts may be quoted apart: the system, the same for
    # every output, once (quoting is a loop in Python over every character).
    return f"{parameter}={_quoted_system(system)}%7C{quote(value, safe='')}"


def _plan(built: Built, current: Mapping[tuple[str, str], Stored]) -> Write | Stored:
    """What to do with one output: write it, or the stored resource that already holds it."""
    resource = built.resource
    series = identifier_of(resource, SERIES_SID)
    stored = current.get((resource["resourceType"], series or ""))
    if stored is None:
        return "create"
    same = stored.result == identifier_of(resource, ASSESSMENT_SID)
    if same and not stored.withdrawn and stored.status == resource.get("status"):
        return stored
    return "update"


def _swap(resource: dict[str, Any], refs: Mapping[str, str]) -> dict[str, Any]:
    out = dict(resource)
    for element in ("basis", "derivedFrom"):
        if element in out:
            out[element] = [
                {"reference": refs.get(r["reference"], r["reference"])} for r in out[element]
            ]
    return out


def _entry(
    built: Built, write: Write, stored: Stored | None, refs: Mapping[str, str]
) -> dict[str, Any]:
    resource = _swap(built.resource, refs)
    rtype = resource["resourceType"]
    if write == "update" and stored is not None:
        resource |= {"id": stored.id}
        request = {"method": "PUT", "url": stored.reference}
        if stored.version:
            request["ifMatch"] = f'W/"{stored.version}"'
        return {"resource": resource, "request": request}
    series = identifier_of(resource, SERIES_SID) or ""
    condition = _condition(SERIES_SID, series, "identifier")
    return {
        "fullUrl": built.full_url,
        "resource": resource,
        "request": {"method": "POST", "url": rtype, "ifNoneExist": condition},
    }


def _provenance(
    provenance: Built, written: Sequence[str], refs: Mapping[str, str], writes: Sequence[str]
) -> dict[str, Any]:
    tag = provenance_tag(writes)
    resource = dict(provenance.resource)
    resource["target"] = [{"reference": refs.get(url, url)} for url in written]
    resource["meta"] = {"tag": [{"system": PROVENANCE_TAG, "code": tag}]}
    resource = provenance_narrative(resource)
    return {
        "fullUrl": provenance.full_url,
        "resource": resource,
        "request": {
            "method": "POST",
            "url": "Provenance",
            "ifNoneExist": _condition(PROVENANCE_TAG, tag, "_tag"),
        },
    }


def _withdraw(stored: Stored, body: Mapping[str, Any], note: str | None = None) -> dict[str, Any]:
    request = {"method": "PUT", "url": stored.reference}
    if stored.version:
        request["ifMatch"] = f'W/"{stored.version}"'
    resource = withdrawal(body) if note is None else withdrawal(body, note)
    return {"resource": resource, "request": request}


def _withdrawals(
    current: Mapping[tuple[str, str], Stored],
    written: set[tuple[str, str]],
    scores: frozenset[str],
    copies: Sequence[tuple[Stored, Stored]],
) -> list[tuple[dict[str, Any], Stored]]:
    """Updates that withdraw (adapter.fhir.write.withdraw) the stored series of ``scores`` this
    computation no longer writes, and each copy beside the resource of its series; one already
    withdrawn is left as it is."""
    entries = []
    for key, stored in sorted(current.items()):
        body = stored.body
        if key in written or stored.withdrawn or body is None or score_code(body) not in scores:
            continue
        entries.append((_withdraw(stored, body), stored))
    for copy, kept in copies:
        if copy.body is not None:
            entries.append((_withdraw(copy, copy.body, copy_note(kept.reference)), copy))
    return entries


def transaction_bundle(
    outputs: Sequence[Built],
    current: Mapping[tuple[str, str], Stored] | None = None,
    answers_for: frozenset[str] = frozenset(),
    copies: Sequence[tuple[Stored, Stored]] = (),
) -> dict[str, Any] | None:
    """The transaction that makes the server hold ``outputs``; None when it already does.

    ``current`` maps (resource type, series identifier) to what the server holds; without it,
    every output is a conditional create. A stored series of a score in ``answers_for`` (the
    scores this computation speaks for) that ``outputs`` do not hold is withdrawn, and so is each
    of ``copies`` (a copy, the resource of its series that is kept).
    """
    current = current or {}
    plans = [(b, _plan(b, current)) for b in outputs if b.resource["resourceType"] != "Provenance"]
    # References to an output that is not sent, or is sent as an update, name the stored resource.
    refs: dict[str, str] = {}
    for built, plan in plans:
        if plan != "create":
            stored = plan if isinstance(plan, Stored) else current[_key(built)]
            refs[built.full_url] = stored.reference
    entries, written, writes = [], [], []
    for built, plan in plans:
        if isinstance(plan, Stored):
            continue
        replaced = current.get(_key(built)) if plan == "update" else None
        entries.append(_entry(built, plan, replaced, refs))
        written.append(built.full_url)
        writes.append(_write_key(built.full_url, replaced))
    for entry, stored in _withdrawals(current, {_key(b) for b, _ in plans}, answers_for, copies):
        entries.append(entry)
        written.append(stored.reference)
        writes.append(_write_key(stored.reference, stored))
    if not entries:
        return None
    provenance = [b for b in outputs if b.resource["resourceType"] == "Provenance"]
    entries += [_provenance(p, written, refs, writes) for p in provenance]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _key(built: Built) -> tuple[str, str]:
    return built.resource["resourceType"], identifier_of(built.resource, SERIES_SID) or ""
