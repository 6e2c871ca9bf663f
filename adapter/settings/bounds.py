"""Bounds shared by the settings of several surfaces."""

from __future__ import annotations

from typing import Any

from pydantic import Field

__all__ = ["seconds"]

# The longest any timeout may be: an hour. "inf" or 1e300 would turn a deadline off (contract
# §8: every wait is bounded), and start the service as if nothing were wrong.
LONGEST = 3600.0


def seconds(default: float, description: str) -> Any:
    """A timeout in seconds: positive, finite, at most :data:`LONGEST`."""
    return Field(default=default, gt=0, le=LONGEST, allow_inf_nan=False, description=description)
