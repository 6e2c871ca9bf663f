"""The Synthea module's states, collected by name (the one object every part of the module adds
to)."""

from __future__ import annotations

from typing import Any

from synthea import gmf
from synthea.gmf import State

__all__ = ["Builder"]


class Builder:
    """Collects named states; a name can be added once."""

    def __init__(self) -> None:
        self.states: dict[str, State] = {}

    def add(self, name: str, state: State) -> str:
        if name in self.states:
            raise ValueError(f"state {name} added twice")
        self.states[name] = state
        return name

    def simple(self, name: str, **transition: Any) -> str:
        return self.add(name, {"type": "Simple", **transition})

    def choose(self, name: str, options: gmf.Weighted) -> str:
        return self.simple(name, distributed_transition=gmf.distributed(options))

    def maybe(self, name: str, entry: str, p: float, then: str) -> str:
        """Go through ``entry`` with probability p, else straight on to ``then``."""
        return self.choose(name, [(entry, p), (then, 1 - p)])
