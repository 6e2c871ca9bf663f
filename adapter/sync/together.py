"""The new results of several patients written in one transaction.

A first sync writes every output of every patient as a conditional create, and one transaction a
patient cost about a fifth of a first sync's CPU: the request and its answer, the event loop's
turns, not the writes themselves. So the patients of a read group whose transactions hold
conditional creates only are sent together, in transactions of at most :data:`MOST_ENTRIES`
entries; a patient's writes are never split between two.

Each patient's writes still land all together or not at all, since the server applies a
transaction whole. What a transaction of several would lose is failing one patient alone: one
that is refused is sent again patient by patient, each with its own retries, so only the patient
at fault fails; one whose answer was lost (no answer, a 5xx) may have been applied, so each patient
is read again, as a single patient's write is after a lost answer, and what the server holds is
found stored, not written twice. A patient with stored results to update or withdraw (each update
checked against the version read) is written alone, as before: a conflict there is its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = ["MOST_ENTRIES", "chunks", "creates_only", "merged", "split"]

# The default (SPINEMETS_SYNC_TRANSACTION_ENTRIES): servers cap a Bundle's size (Azure's FHIR
# service at 500 entries); a refused transaction of several is sent again patient by patient, so
# a cap set too high costs a request, not a patient.
MOST_ENTRIES = 200

T = TypeVar("T")


def creates_only(bundle: dict[str, Any]) -> bool:
    """Whether a transaction only creates (conditional creates, the Provenance among them)."""
    return all(entry["request"]["method"] == "POST" for entry in bundle["entry"])


def chunks(
    planned: Sequence[tuple[T, dict[str, Any]]], most: int = MOST_ENTRIES
) -> list[list[tuple[T, dict[str, Any]]]]:
    """Consecutive patients' transactions, at most ``most`` entries together; a transaction
    larger than that on its own stays alone."""
    out: list[list[tuple[T, dict[str, Any]]]] = []
    size = 0
    for item in planned:
        entries = len(item[1]["entry"])
        if out and size + entries <= most:
            out[-1].append(item)
            size += entries
        else:
            out.append([item])
            size = entries
    return out


def merged(bundles: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One transaction of the entries of ``bundles``, in order."""
    entries = [entry for bundle in bundles for entry in bundle["entry"]]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def split(answer: dict[str, Any], bundles: Sequence[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The answer of a merged transaction as each bundle's own answer (its entries' answers, in
    order); None when it does not answer every entry sent."""
    entries = answer.get("entry")
    if not isinstance(entries, list) or len(entries) != sum(len(b["entry"]) for b in bundles):
        return None
    out, at = [], 0
    for bundle in bundles:
        size = len(bundle["entry"])
        out.append({"entry": entries[at : at + size]})
        at += size
    return out
