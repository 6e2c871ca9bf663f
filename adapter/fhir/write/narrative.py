"""A short generated narrative for every output resource (``text``, status ``generated``).

An EHR that shows narratives shows the score without knowing our codes, and the HL7 validator's
dom-6 ("a resource should have narrative for robust management") holds. The narrative is built
from the resource's own content, so it changes only when the content does: writing it again
stays idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from adapter.scoring import ScoreResult
from adapter.vocabulary.specs import NO_LABEL, NOT_SETTLED

__all__ = ["XHTML", "narrative", "score_headline", "score_lines", "with_narrative"]

XHTML = "http://www.w3.org/1999/xhtml"


def narrative(lines: Sequence[str]) -> dict[str, str]:
    """The ``text`` element: one paragraph per line, escaped."""
    body = "".join(f"<p>{escape(line, quote=False)}</p>" for line in lines if line)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}


def with_narrative(resource: dict[str, Any], lines: Sequence[str]) -> dict[str, Any]:
    """``resource`` with its narrative placed after ``resourceType`` (FHIR's element order)."""
    out: dict[str, Any] = {"resourceType": resource["resourceType"], "text": None}
    out.update(resource)  # both keys keep their places, the rest follow in their order
    out["text"] = narrative(lines)
    return out


def score_headline(result: ScoreResult, level: str | None) -> str:
    """A score's first narrative line: the total or range with its band (all a RiskAssessment
    says of the score; the components are its Observation's)."""
    where = f" at {level}" if level else ""
    shown = result.band.display if result.band else NOT_SETTLED
    shown = NO_LABEL if result.band is None and result.unlabelled else shown
    return f"{result.spec.display}{where}: {result.total} ({shown})"


def score_lines(result: ScoreResult, level: str | None) -> list[str]:
    """A score as its narrative says it: the total or range with its band, then the components."""
    parts = "; ".join(
        f"{c.spec.display} {c.points if c.known else 'missing'}" for c in result.components
    )
    return [score_headline(result, level), f"Components: {parts}"]
