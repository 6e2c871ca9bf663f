"""What a CDS Hooks card allows, as one fact every layer reads."""

from __future__ import annotations

from typing import Literal

__all__ = ["SUMMARY_MAX", "URGENCY", "Indicator"]

# CDS Hooks 2.0: a card's indicator, and their order from the least to the most urgent.
Indicator = Literal["info", "warning", "critical"]
URGENCY: dict[Indicator, int] = {"info": 0, "warning": 1, "critical": 2}

# CDS Hooks 2.0: a card's summary is "<140 characters".
SUMMARY_MAX = 139
