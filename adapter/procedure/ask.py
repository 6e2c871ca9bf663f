"""What every criterion of the procedure check is asked about: one order, the request it came in
with, the patient's result and the rules in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from adapter.mapping.rules import Rules
from adapter.pipeline import PatientResult
from adapter.procedure.orders import Order

__all__ = ["Ask"]


@dataclass(frozen=True, slots=True)
class Ask:
    order: Order
    request: Sequence[Order]  # every order checked in the same call, this one included
    result: PatientResult
    rules: Rules
    # Levels a decompression order of the same request decompresses (criterion 8: a Bilsky 2–3
    # there is being treated by this request).
    decompressed: frozenset[str] = field(default_factory=frozenset)

    @property
    def others(self) -> list[Order]:
        """The request's other orders for a procedure to be done (an order not to place screws
        does not keep cement company)."""
        return [o for o in self.request if o is not self.order and not o.do_not_perform]

    @property
    def cemented(self) -> list[str]:
        """The levels the request's orders put cement into (a fixation's own cement included)."""
        orders = (o for o in self.request if o.cement and not o.do_not_perform)
        return list(dict.fromkeys(lv for o in orders for lv in o.levels))
