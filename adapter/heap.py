"""The cyclic garbage collector, set for runs of many short-lived objects.

Reading, scoring and writing a patient makes many small dicts, tuples and records, nearly all
freed by reference counting the moment they are done with. Python's cyclic collector still ran
every 700 net allocations and walked them: ~12% of ``score``'s time and ~3% of a CDS call, for
almost nothing found (docs/performance.md, "The garbage collector"). Once start-up is over,
:func:`settle` freezes what lives for the whole run (modules, terminology, settings) out of the
collector's walks and lets the young generation grow to :data:`YOUNG` objects: cycles are still
freed, by a rarer collection that walks such a generation in a few milliseconds.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG", "settle"]

YOUNG = 25_000


def settle() -> None:
    """Call once start-up is done, before the work begins."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG, older, oldest)
