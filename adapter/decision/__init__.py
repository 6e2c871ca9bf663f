"""One set of decisions per patient (contract §4 v3 "one decision, every surface").

The neurology alert, the deceased rule and the procedure-check verdicts are computed here once,
from the pipeline's result, and the cards, the text report and the page render them: a rule
changed here changes every surface.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from adapter.decision.neurology import (
    NEUROLOGY_ACTION,
    STEROID_PROMPT,
    NeurologyAlert,
    NeurologyItem,
    neurology_alert,
)
from adapter.mapping.rules import Rules
from adapter.pipeline import PatientResult
from adapter.procedure.check import OrderCheck, check_orders
from adapter.procedure.orders import Order

__all__ = [
    "NEUROLOGY_ACTION",
    "STEROID_PROMPT",
    "Decisions",
    "NeurologyAlert",
    "NeurologyItem",
    "decide",
    "neurology_alert",
]

_DEFAULT_RULES = Rules()


@dataclass(frozen=True, slots=True)
class Decisions:
    """What every surface shows about one patient, decided once."""

    result: PatientResult
    deceased: str | None  # how the record says the patient died; None when alive
    neurology: NeurologyAlert | None
    orders: tuple[OrderCheck, ...]


def decide(
    result: PatientResult,
    orders: Sequence[Order] = (),
    rules: Rules = _DEFAULT_RULES,
    decompressing: Collection[str] = (),
) -> Decisions:
    """The decisions of one patient: the neurology alert, the deceased rule, each order's check
    (``decompressing``: the levels a decompression order of the same request names)."""
    return Decisions(
        result=result,
        deceased=result.assessment.deceased,
        neurology=neurology_alert(result, rules),
        orders=tuple(check_orders(orders, result, rules, frozenset(decompressing))),
    )
