"""The NOMS framework's table (Laufer 2013) as a pure decision: which paths match what is known.

Rows are tried in order and the first match gives the path; an input that is missing or
ambiguous takes every value it may have, so the result lists every path the table could give.
Bilsky 1c is contested (low or high grade): it takes both.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum
from typing import Any

from adapter.scoring.possible import Possible
from adapter.vocabulary.noms import NOMS_PATHS, NomsPath

__all__ = [
    "Compression",
    "NomsInput",
    "NomsResult",
    "Radiosensitivity",
    "Stability",
    "Tolerance",
    "noms_paths",
]


class Compression(Enum):
    LOW = "low"  # Bilsky 0, 1a, 1b
    HIGH = "high"  # Bilsky 2, 3


class Radiosensitivity(Enum):
    RADIOSENSITIVE = "radiosensitive"
    RADIORESISTANT = "radioresistant"


class Stability(Enum):
    STABLE = "stable"
    UNSTABLE = "unstable"


class Tolerance(Enum):
    ABLE = "able"
    UNABLE = "unable"


@dataclass(frozen=True, slots=True)
class NomsInput:
    level: str
    compression: Possible[Compression]
    radiosensitivity: Possible[Radiosensitivity]
    stability: Possible[Stability]
    tolerance: Possible[Tolerance]


@dataclass(frozen=True, slots=True)
class NomsResult:
    """The framework's paths at one level, in row order; ``open`` names the inputs whose values
    are not settled (each path listed is one they could lead to)."""

    level: str
    paths: tuple[NomsPath, ...]
    open: tuple[str, ...]

    @property
    def settled(self) -> bool:
        return len(self.paths) == 1


def _row(n: Compression, o: Radiosensitivity, m: Stability, s: Tolerance) -> str:
    """The first row of the table that matches (Laufer 2013; scores-more.md)."""
    able = s is Tolerance.ABLE
    if m is Stability.UNSTABLE:
        return "stabilise" if able else "no-surgical-path"
    if o is Radiosensitivity.RADIOSENSITIVE:
        return "cebrt-low" if n is Compression.LOW else "cebrt-high"
    if n is Compression.LOW:
        return "srs"
    return "separation-srs" if able else "no-surgical-path"


def noms_paths(inp: NomsInput) -> NomsResult:
    """Every path the framework gives for the possible values of the four inputs."""
    inputs: dict[str, Possible[Any]] = {
        "neurological (Bilsky grade)": inp.compression,
        "oncological (radiosensitivity)": inp.radiosensitivity,
        "mechanical (stability)": inp.stability,
        "systemic (tolerates surgery)": inp.tolerance,
    }
    codes = {
        _row(n, o, m, s)
        for n, o, m, s in itertools.product(
            inp.compression.values,
            inp.radiosensitivity.values,
            inp.stability.values,
            inp.tolerance.values,
        )
    }
    paths = tuple(sorted((NOMS_PATHS[c] for c in codes), key=lambda p: p.row))
    open_inputs = tuple(name for name, value in inputs.items() if not value.certain)
    return NomsResult(inp.level, paths, open_inputs)
