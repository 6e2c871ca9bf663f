"""The spinal levels of the vertebra CodeSystem, in anatomical order."""

from __future__ import annotations

__all__ = ["LEVELS", "level_order"]

LEVELS: tuple[str, ...] = (
    "occiput",
    *(f"C{n}" for n in range(1, 8)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    *(f"S{n}" for n in range(1, 6)),
    "coccyx",
)

_ORDER = {level: i for i, level in enumerate(LEVELS)}


def level_order(level: str) -> int:
    """Position of a level from the skull down, for stable sorting of outputs."""
    return _ORDER[level]
