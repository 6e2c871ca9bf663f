"""The spinal levels of the vertebra CodeSystem, in anatomical order, and which of a patient's
scored levels counts as the worst."""

from __future__ import annotations

from adapter.scoring.possible import Span

__all__ = ["LEVELS", "level_order", "level_runs", "worst_first"]

LEVELS: tuple[str, ...] = (
    "occiput",
    *(f"C{n}" for n in range(1, 8)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    *(f"S{n}" for n in range(1, 6)),
    "coccyx",
)

_ORDER = {level: i for i, level in enumerate(LEVELS)}


def level_runs(levels: list[str]) -> str:
    """Levels as runs: "T10–L3" for three or more in a row, "T11, T12" for two, in order."""
    ordered = sorted(set(levels), key=level_order)
    runs: list[list[str]] = []
    for level in ordered:
        if runs and _ORDER[level] == _ORDER[runs[-1][-1]] + 1:
            runs[-1].append(level)
        else:
            runs.append([level])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) >= 3 else ", ".join(run) for run in runs)


def level_order(level: str) -> int:
    """Position of a level from the skull down, for stable sorting of outputs."""
    return _ORDER[level]


def worst_first(total: Span) -> tuple[int, int]:
    """Sort key of level totals, the worst first by what is certain (scores.md v3): the highest
    lower bound, then the highest upper bound, so an unassessed level's 3–18 never stands in front
    of a certain 14. Levels of equal key are equally worst; :func:`level_order` lists them."""
    return (-total.low, -total.high)
