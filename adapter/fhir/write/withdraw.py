"""Withdrawing an output whose basis is gone: the metastasis of a scored level entered in error,
refuted or deleted, an index procedure no longer recorded — a series this computation speaks for
but no longer writes.

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

__all__ = ["WITHDRAWN", "WITHDRAWN_NOTE", "score_code", "withdrawal"]

WITHDRAWN = "entered-in-error"
WITHDRAWN_NOTE = (
    "Withdrawn by spinemets: the patient's record no longer supports this result (an input it "
    "rests on was removed, refuted or entered in error). Earlier versions keep what it said."
)
# Kept as the server holds them; the server sets meta again.
_DROPPED = frozenset({"meta"})


def score_code(resource: Mapping[str, Any]) -> str | None:
    """The spinemets score code of a stored output (its ``code``), None for anything else."""
    for coding in (resource.get("code") or {}).get("coding") or ():
        if isinstance(coding, Mapping) and coding.get("system") == SCORE:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def _narrative(text: Any) -> Any:
    div = text.get("div") if isinstance(text, Mapping) else None
    if not isinstance(div, str) or not div.endswith("</div>"):
        return text
    # The note's words are ours: nothing in them needs escaping.
    return {**text, "div": f"{div.removesuffix('</div>')}<p>{WITHDRAWN_NOTE}</p></div>"}


def withdrawal(body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored resource's next version: the same result, withdrawn, with the note."""
    out = {k: v for k, v in body.items() if k not in _DROPPED}
    notes = [n for n in out.get("note") or () if n != {"text": WITHDRAWN_NOTE}]
    out |= {"status": WITHDRAWN, "note": [*notes, {"text": WITHDRAWN_NOTE}]}
    if "text" in out:
        out["text"] = _narrative(out["text"])
    return out
