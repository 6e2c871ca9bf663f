"""Criterion 7, bleeding risk (coagulation only): coagulation-defect Conditions, antithrombotic
medication, and the latest INR and platelet count within their window (contract §5; thresholds
after the SIR 2019 consensus for high-bleeding-risk procedures, as settings)."""

from __future__ import annotations

from adapter.fhir.read.evidence import Evidence
from adapter.mapping.findings import Bound, Chosen, Finding
from adapter.mapping.rules import Rules
from adapter.mapping.safety import Safety
from adapter.procedure.criteria import REASSESS, Criterion, Judge, cite
from adapter.procedure.orders import Kind

__all__ = ["bleeding_criterion"]

_JUDGE = Judge(7, "Bleeding risk (coagulation)")


# (met | unmet | unknown, the reason with its sources, the finding in a few words)
_Part = tuple[str, str, str]


def _versus(value: float, unit: str, ok: bool, limit: str, out: str) -> str:
    """A lab value against its limit, as the summary and the detail both say it: "1.1 (≤ 1.5)"
    in range; out of range "2.3 (above 1.5)", never the limit as if it were met."""
    return f"{value:g}{unit} ({limit if ok else out})"


def _bounded(bound: Bound, label: str, unit: str, limit: float, high: bool, day: str) -> _Part:
    """A later value given as a bound ("< 20"): out of range when the bound lies beyond the limit
    whatever the value (platelets < 20 against ≥ 50: contract §5, unmet), else unknown — the
    bound shown either way, with its ``day``. ``high``: the limit is a maximum (INR), else a
    minimum."""
    said = f"{label} {bound.comparator} {bound.number:g}{unit}"
    below = bound.comparator in ("<", "<=")
    strict = bound.comparator in ("<", ">")
    if high:
        out = not below and (bound.number > limit or (strict and bound.number >= limit))
        inside = below and bound.number <= limit
        side = f"above {limit:g}"
    else:
        out = below and (bound.number < limit or (strict and bound.number <= limit))
        inside = not below and bound.number >= limit
        side = f"below {limit:g}"
    if out:
        return "unmet", f"{said} ({side}, a bound), {day}", f"{said} ({side})"
    if inside:
        why = f"{said} (a bound, within the limit), {day} — check"
        return "unknown", why, f"{said} (a bound)"
    why = f"{said} (a bound: either side of {limit:g}), {day} — check"
    return "unknown", why, f"{said} (a bound)"


def _lab(
    chosen: Chosen[float] | None,
    label: str,
    ok: bool,
    said: str,
    unread: Finding[str] | None,
    limit: tuple[float, str, bool] | None = None,
) -> _Part:
    """One lab value against its limit (``said``: :func:`_versus`); a later record that could
    not be read makes it unknown, named (contract §2 v3), never "no … recorded"; a later bound
    decides when it lies beyond the limit (``limit``: the limit, its unit, whether a maximum)."""
    when = "date not recorded"
    if unread is not None and unread.obs.time:
        when = unread.obs.time.day
    if unread is not None and isinstance(unread.value, Bound) and limit is not None:
        return _bounded(unread.value, label, limit[1], limit[0], limit[2], when)
    if unread is not None:
        named = f"{label} {when}: {unread.value}"
        return "unknown", named, named
    if chosen is None:
        return "unknown", f"no {label} recorded", f"no {label} recorded"
    # One value is said with its day ("INR 3.2 (above 1.5), 30 May 2024"), not quoted again;
    # several of one time (in conflict, the worst judged) are each cited. "dated" is said
    # whenever one is, which the criterion's action reads.
    evidence = chosen.evidence
    dated = any(ev.dated for ev in evidence)
    mark = ", dated" if dated else ""
    if len(evidence) != 1:
        source = f"{mark}: {cite(evidence)}"
    elif evidence[0].time is None:
        source = ", no date recorded, so dated"
    else:
        source = f", {evidence[0].time.day}{mark}"
    if not ok:
        return "unmet", f"{label} {said}{source}", f"{label} {said}"
    if dated:
        return "unknown", f"{label} {said}{source}", f"{label} dated"
    return "met", f"{label} {said}{source}", ""


_NAMED = 3  # unidentified medications named before "+N more"


def _unidentified(evidence: tuple[Evidence, ...]) -> _Part:
    """Active medications that name no drug, said once however many: a server that ignores
    ``_include`` sends a whole medication list this way (never twelve repeated lines)."""
    if len(evidence) == 1:
        reason = f"{cite(evidence)}: check whether it is an antithrombotic"
        return "unknown", reason, "medication not identified — is it an antithrombotic?"
    named = ", ".join(ev.ref.reference or "unreferenced" for ev in evidence[:_NAMED])
    more = f" +{len(evidence) - _NAMED} more" if len(evidence) > _NAMED else ""
    reason = (
        f"{len(evidence)} medications not identified ({named}{more}; references without a "
        "Medication: the server may not support _include) — check for antithrombotics"
    )
    return "unknown", reason, f"{len(evidence)} medications not identified — any antithrombotic?"


def _parts(safety: Safety, minimum: float, rules: Rules) -> list[_Part]:
    parts: list[_Part] = []
    for staged in safety.coagulation:
        status = "unmet" if staged.confirmed else "unknown"
        label = "coagulation defect" + ("" if staged.confirmed else " (unconfirmed)")
        parts.append((status, f"coagulation defect {staged.condition.ref.reference}", label))
    for ev in safety.antithrombotics:
        reason = f"antithrombotic {cite([ev])}: check when it was stopped"
        parts.append(("unknown", reason, "antithrombotic active — check when it was stopped"))
    if safety.unidentified_medications:  # missing data: never read as "no antithrombotic"
        parts.append(_unidentified(safety.unidentified_medications))
    inr = safety.inr
    worst_inr = max(inr.values) if inr else 0.0
    ok = worst_inr <= rules.inr_max
    limit = f"{rules.inr_max:g}"
    said = _versus(worst_inr, "", ok, f"≤ {limit}", f"above {limit}")
    parts.append(_lab(inr, "INR", ok, said, safety.inr_unread, (rules.inr_max, "", True)))
    plt = safety.platelets
    worst = min(plt.values) if plt else 0.0
    ok = worst >= minimum
    said = _versus(worst, " × 10⁹/L", ok, f"≥ {minimum:g}", f"below {minimum:g}")
    bound_limit = (minimum, " × 10⁹/L", False)
    parts.append(_lab(plt, "platelets", ok, said, safety.platelets_unread, bound_limit))
    return parts


def bleeding_criterion(safety: Safety, kind: Kind, rules: Rules) -> Criterion:
    """Met only when nothing raises the risk and both labs are recent and in range. Any order
    but cement alone takes fixation's platelet threshold (an unrecognised spine procedure may be
    open surgery)."""
    minimum = (
        rules.platelets_min_augmentation if kind == "augmentation" else rules.platelets_min_fixation
    )
    parts = _parts(safety, minimum, rules)
    statuses = {status for status, _, _ in parts}
    basis = "; ".join(reason for _, reason, _ in parts)
    if "unmet" in statuses:
        finding = "; ".join(f for st, _, f in parts if st == "unmet")
        return _JUDGE.unmet(
            basis, action="correct the coagulation before the procedure", finding=finding
        )
    if "unknown" in statuses:
        dated = any("dated" in reason for _, reason, _ in parts)
        action = REASSESS if dated else "check INR, platelets and antithrombotic medication"
        finding = "; ".join(f for st, _, f in parts if st == "unknown")
        return _JUDGE.unknown(basis, action=action, finding=finding)
    return _JUDGE.met(basis)
