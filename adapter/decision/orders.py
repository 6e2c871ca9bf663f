"""Each spine order's verdict (contract §5): its indicator and its one-line summary, decided once
and rendered by the procedure-check card, the text report and the page.

A deceased patient's order is not checked against the case series: it is a warning that asks to
check the patient's identity (contract §4 v3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapter.decision.wording import shorten
from adapter.procedure.check import OrderCheck

__all__ = ["Indicator", "OrderDecision", "order_decision"]

Indicator = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class OrderDecision:
    """One order's verdict: the check (None for a deceased patient) and what every surface says."""

    check: OrderCheck
    indicator: Indicator
    summary: str  # < 140 characters, cut at a word boundary
    checked: bool = True  # False: not judged against the criteria (a deceased patient)

    @property
    def reference(self) -> str:
        return self.check.order.reference

    @property
    def where(self) -> str:
        """The ordered levels, or "level not recorded"."""
        return ", ".join(self.check.order.levels) or "level not recorded"


def _tally(check: OrderCheck) -> str:
    statuses = [c.status for lv in check.levels for c in lv.criteria]
    counts = [(statuses.count(s), s) for s in ("unmet", "unknown")]
    return ", ".join(f"{n} {s}" for n, s in counts if n)


def _summary(check: OrderCheck) -> str:
    order = check.order
    treated = [lv.level for lv in check.levels if not lv.instrumented]
    where = f" at {', '.join(treated)}" if check.level_named and treated else ""
    if check.compression:
        found = dict.fromkeys(
            c.finding
            for lv in check.levels
            for c in lv.criteria
            if c.number in (4, 5) and c.status == "unmet" and c.finding
        )
        return (
            f"{order.display}{where}: suspected cord compression ({'; '.join(found)}) — assess "
            "for decompression and radiotherapy first"
        )
    if not check.level_named:
        return f"{order.display}: no level ordered — record the level; criteria {_tally(check)}"
    if check.indicator == "warning":
        return f"{order.display}{where}: case-series criteria {_tally(check)}"
    return f"{order.display}{where}: meets the case series' selection criteria"


def order_decision(check: OrderCheck, deceased_on: str | None = None) -> OrderDecision:
    """The verdict on one checked order; ``deceased_on`` ("3 Dec 2026", or "" when the record
    gives no date) when the record says the patient has died."""
    if deceased_on is not None:
        when = f" on {deceased_on}" if deceased_on else ""
        text = (
            f"{check.order.display} {', '.join(check.order.levels)}".rstrip()
            + f": recorded as deceased{when} — check the patient's identity"
        )
        return OrderDecision(check, "warning", shorten(text), checked=False)
    return OrderDecision(check, check.indicator, shorten(_summary(check)))
