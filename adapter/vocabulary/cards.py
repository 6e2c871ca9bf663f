"""What a CDS Hooks card allows, as one fact every layer reads."""

from __future__ import annotations

__all__ = ["SUMMARY_MAX"]

# CDS Hooks 2.0: a card's summary is "<140 characters".
SUMMARY_MAX = 139
