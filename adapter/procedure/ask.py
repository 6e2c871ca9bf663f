"""What every criterion of the procedure check is asked about: one order, the request it came in
with, the patient's result and the rules in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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

    @property
    def others(self) -> list[Order]:
        return [o for o in self.request if o is not self.order]
