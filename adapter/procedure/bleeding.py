"""Criterion 7, bleeding risk (coagulation only): coagulation-defect Conditions, antithrombotic
medication, and the latest INR and platelet count within their window (contract §5; thresholds
after the SIR 2019 consensus for high-bleeding-risk procedures, as settings)."""

from __future__ import annotations

from adapter.mapping.findings import Chosen
from adapter.mapping.rules import Rules
from adapter.mapping.safety import Safety
from adapter.procedure.criteria import REASSESS, Criterion, Judge, cite
from adapter.procedure.orders import Kind

__all__ = ["bleeding_criterion"]

_JUDGE = Judge(7, "Bleeding risk (coagulation)")


def _lab(chosen: Chosen[float] | None, label: str, ok: bool, shown: str) -> tuple[str, str]:
    """(met | unmet | unknown, reason) for one lab value."""
    if chosen is None:
        return "unknown", f"no {label} recorded"
    if not ok:
        return "unmet", f"{label} {shown}: {cite(chosen.evidence)}"
    if any(ev.dated for ev in chosen.evidence):
        return "unknown", f"{label} {shown}, dated: {cite(chosen.evidence)}"
    return "met", f"{label} {shown}: {cite(chosen.evidence)}"


def bleeding_criterion(safety: Safety, kind: Kind, rules: Rules) -> Criterion:
    """Met only when nothing raises the risk and both labs are recent and in range."""
    minimum = (
        rules.platelets_min_fixation if kind == "fixation" else rules.platelets_min_augmentation
    )
    parts: list[tuple[str, str]] = []
    for staged in safety.coagulation:
        status = "unmet" if staged.confirmed else "unknown"
        parts.append((status, f"coagulation defect {staged.condition.ref.reference}"))
    for ev in safety.antithrombotics:
        parts.append(("unknown", f"antithrombotic {ev.said}: check when it was stopped"))
    inr = safety.inr
    worst_inr = max(inr.values) if inr else 0.0
    parts.append(
        _lab(inr, "INR", worst_inr <= rules.inr_max, f"{worst_inr:g} (≤ {rules.inr_max:g})")
    )
    plt = safety.platelets
    worst_plt = min(plt.values) if plt else 0.0
    parts.append(
        _lab(plt, "platelets", worst_plt >= minimum, f"{worst_plt:g} × 10⁹/L (≥ {minimum:g})")
    )
    statuses = {status for status, _ in parts}
    basis = "; ".join(reason for _, reason in parts)
    if "unmet" in statuses:
        return _JUDGE.unmet(basis, action="correct the coagulation before the procedure")
    if "unknown" in statuses:
        dated = any("dated" in reason for _, reason in parts)
        action = REASSESS if dated else "check INR, platelets and antithrombotic medication"
        return _JUDGE.unknown(basis, action=action)
    return _JUDGE.met(basis)
