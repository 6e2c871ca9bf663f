"""Criterion 9, no active infection (contract §5 v3): a current sepsis, bacteraemia, vertebral
osteomyelitis or discitis, or spinal wound-infection Condition (ValueSet active-infection) makes
it unmet — cement or an implant in an infected patient risks seeding it; none recorded is met.
An unconfirmed one (provisional, differential), or a current Condition no listed code holds
whose words name an infection (the ValueSet's ``condition-name``), makes it unknown."""

from __future__ import annotations

from adapter.mapping.context import condition_named
from adapter.mapping.staging import Staged
from adapter.procedure.ask import Ask
from adapter.procedure.criteria import Criterion, Judge

__all__ = ["infection_criterion"]

_JUDGE = Judge(9, "No active infection")
_UNMET = "active infection — cement or implant contraindicated"


def _shown(staged: Staged) -> str:
    """ "Sepsis, unspecified organism (3 Dec 2026, provisional)": the infection as the record
    names it, its date and any doubt; no resource ids in card text."""
    said = [staged.condition.time.day] if staged.condition.time else []
    if not staged.confirmed and (doubt := staged.condition.verification_said):
        said.append(doubt)
    when = f" ({', '.join(said)})" if said else ""
    return f"{condition_named(staged.condition, staged.levels)}{when}"


def infection_criterion(ask: Ask) -> Criterion:
    safety = ask.result.assessment.safety
    found, named = safety.infections, safety.infections_named
    if not found and not named:
        return _JUDGE.met("no sepsis, bacteraemia or spinal infection recorded")
    cited = "; ".join(_shown(s) for s in found)
    if any(s.confirmed for s in found):
        return _JUDGE.unmet(
            f"current infection: {cited}",
            action="treat the infection first; cement or implant contraindicated",
            finding=_UNMET,
        )
    if named:
        # Words only: the infection may be outside the spine or long treated; not an absence.
        worded = "; ".join(_shown(s) for s in named)
        doubt = f"; possible infection, not confirmed: {cited}" if cited else ""
        return _JUDGE.unknown(
            f"infection named in the record, not coded: {worded}{doubt}",
            action="confirm or refute a current infection before the procedure",
            finding="possible active infection — confirm before cement or implant",
        )
    return _JUDGE.unknown(
        f"possible infection, not confirmed: {cited}",
        action="confirm or refute the infection before the procedure",
        finding="possible active infection — confirm before cement or implant",
    )
