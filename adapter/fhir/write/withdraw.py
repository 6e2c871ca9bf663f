"""Withdrawing an output whose basis is gone (the metastasis of a scored level entered in error,
refuted or deleted, an index procedure no longer recorded: a series this computation speaks for
but no longer writes), or a copy of an output beside the resource of its series (an EHR that
accepted a CDS suggestion, whose resources carry sync's identifiers; a concurrent writer).

The stored resource gets a new version, status ``entered-in-error`` (R4: "withdrawn following
previous final release"), the body of its last result unchanged and a note saying why. The
contract's outputs are ``final``; a withdrawn one is no longer an output, so a client searching
``status=final`` no longer finds it, and one that reads it sees the note. Its history keeps
every result it held. When the basis comes back, the next result updates the same resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapter.vocabulary.systems import SCORE

__all__ = ["WITHDRAWN", "WITHDRAWN_NOTE", "copy_note", "score_code", "withdrawal"]

WITHDRAWN = "entered-in-error"
WITHDRAWN_NOTE = (
    "Withdrawn by spinemets: the patient's record no longer supports this result (an input it "
    "rests on was removed, refuted or entered in error). Earlier versions keep what it said."
)
_OURS = "Withdrawn by spinemets"
# Kept as the server holds them; the server sets meta again.
_DROPPED = frozenset({"meta"})


def score_code(resource: Mapping[str, Any]) -> str | None:
    """The spinemets score code of a stored output (its ``code``), None for anything else."""
    for coding in (resource.get("code") or {}).get("coding") or ():
        if isinstance(coding, Mapping) and coding.get("system") == SCORE:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def copy_note(kept: str) -> str:
    """Why a copy of an output is withdrawn: ``kept`` (Type/id) holds its series' results."""
    return (
        f"{_OURS}: a copy of {kept}, which holds the results of this assessment (created beside "
        "it, e.g. by accepting a CDS suggestion or by a concurrent write)."
    )


def _narrative(text: Any, note: str) -> Any:
    div = text.get("div") if isinstance(text, Mapping) else None
    if not isinstance(div, str) or not div.endswith("</div>"):
        return text
    # The note's words are ours and a FHIR id: nothing in them needs escaping.
    return {**text, "div": f"{div.removesuffix('</div>')}<p>{note}</p></div>"}


def withdrawal(body: Mapping[str, Any], note: str = WITHDRAWN_NOTE) -> dict[str, Any]:
    """The stored resource's next version: the same result, withdrawn, with the note."""
    out = {k: v for k, v in body.items() if k not in _DROPPED}
    notes = [n for n in out.get("note") or () if not str(n.get("text", "")).startswith(_OURS)]
    out |= {"status": WITHDRAWN, "note": [*notes, {"text": note}]}
    if "text" in out:
        out["text"] = _narrative(out["text"], note)
    return out
