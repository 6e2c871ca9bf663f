"""One draft order checked at each of its levels: the criteria, their worst status, the context
(SINS at the level, Tomita and revised Tokuhashi as prognosis — information, not criteria)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from adapter.mapping.rules import Rules
from adapter.pipeline import PatientResult
from adapter.procedure.bleeding import bleeding_criterion
from adapter.procedure.criteria import Criterion, level_criteria
from adapter.procedure.elsewhere import elsewhere_criterion
from adapter.procedure.orders import Order, treated_levels

__all__ = ["LevelCheck", "OrderCheck", "check_order"]

Indicator = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class LevelCheck:
    level: str
    instrumented: bool
    criteria: tuple[Criterion, ...]

    def status(self, number: int) -> str | None:
        return next((c.status for c in self.criteria if c.number == number), None)


@dataclass(frozen=True, slots=True)
class OrderCheck:
    order: Order
    levels: tuple[LevelCheck, ...]
    level_named: bool  # False: the order names no level; every scored level is a candidate

    @property
    def compression(self) -> bool:
        """Criterion 4, 5 or 8 unmet: suspected spinal cord compression, here or elsewhere."""
        return any(lv.status(n) == "unmet" for lv in self.levels for n in (4, 5, 8))

    @property
    def indicator(self) -> Indicator:
        if self.compression:
            return "critical"
        doubtful = any(c.status != "met" for lv in self.levels for c in lv.criteria)
        return "warning" if doubtful or not self.level_named or not self.levels else "info"


def check_order(
    order: Order, result: PatientResult, rules: Rules, decompressing: Collection[str] = ()
) -> OrderCheck:
    """``decompressing``: the levels a decompression order of the same request names."""
    treated, instrumented = treated_levels(order, result)
    bleeding = bleeding_criterion(result.assessment.safety, order.kind, rules)
    elsewhere = elsewhere_criterion(result, treated, rules, decompressing)
    checks = []
    for level, is_instrumented in [
        *((lv, False) for lv in treated),
        *((lv, True) for lv in instrumented),
    ]:
        criteria = level_criteria(level, result, instrumented=is_instrumented)
        checks.append(LevelCheck(level, is_instrumented, (*criteria, bleeding, elsewhere)))
    return OrderCheck(order, tuple(checks), bool(order.levels))
