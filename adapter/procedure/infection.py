"""Criterion 9, no active infection (contract §5 v3): a current sepsis, bacteraemia, vertebral
osteomyelitis or discitis, or spinal wound-infection Condition (ValueSet active-infection) makes
it unmet — cement or an implant in an infected patient risks seeding it; none recorded is met.
An unconfirmed one (provisional, differential) makes it unknown."""

from __future__ import annotations

from adapter.mapping.staging import Staged
from adapter.procedure.ask import Ask
from adapter.procedure.criteria import Criterion, Judge

__all__ = ["infection_criterion"]

_JUDGE = Judge(9, "No active infection")
_UNMET = "active infection — cement or implant contraindicated"


def _shown(staged: Staged) -> str:
    """ "infection recorded 3 Dec 2026 (provisional)": no resource ids in card text."""
    when = f" {staged.condition.time.day}" if staged.condition.time else ""
    status = "" if staged.confirmed else f" ({staged.condition.verification_said})"
    return f"infection recorded{when}{status}"


def infection_criterion(ask: Ask) -> Criterion:
    found = ask.result.assessment.safety.infections
    if not found:
        return _JUDGE.met("no sepsis, bacteraemia or spinal infection recorded")
    cited = "; ".join(_shown(s) for s in found)
    if any(s.confirmed for s in found):
        return _JUDGE.unmet(
            f"current infection: {cited}",
            action="treat the infection first; cement or implant contraindicated",
            finding=_UNMET,
        )
    return _JUDGE.unknown(
        f"possible infection, not confirmed: {cited}",
        action="confirm or refute the infection before the procedure",
        finding="possible active infection — confirm before cement or implant",
    )
