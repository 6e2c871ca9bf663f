"""An order whose code names a spinal region none of its ordered levels lies in (contract §5 v3,
named orders, named problems): CPT 22511 is a lumbosacral vertebroplasty, so at T12 either the
level or the code is wrong — a wrong-level (or wrong-orderable) signal the card names, as it does
a fixation's reasonReference beyond its construct.

The region of each code is data: the ``procedure-region`` extension of the procedure ValueSets
(mappings/), whose regions are those of the vertebra CodeSystem. A code is judged by whether any
ordered level lies in its region, not every one: a multi-level order codes its first body by
region and the further bodies (CPT 22512, 22515) by none, so a kyphoplasty at T12 and L1 coded
22513 is consistent. A local code is judged by the codes it stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.fhir.read.orders import OrderRecord
from adapter.mapping.terminology import CodeRegion, Terminology
from adapter.vocabulary.systems import VERTEBRA, code_label

__all__ = ["OffRegion", "off_region"]

_CHECK = "check the level or the code"


@dataclass(frozen=True, slots=True)
class OffRegion:
    """A code of the order for a region none of its ordered levels lies in."""

    code: str  # "CPT 22511", or the local code as sent: "VP-LUMB"
    via: str | None  # the code a local code stands for, whose region it is: "CPT 22511"
    region: CodeRegion
    levels: tuple[str, ...]  # the ordered levels
    level_regions: tuple[str, ...]  # their regions, each once

    @property
    def finding(self) -> str:
        """ "CPT 22511 (lumbosacral) ordered at T12 — check the level or the code"; a local
        code "VP (CPT 22511, lumbosacral) …"."""
        said = f"{self.via}, {self.region.name}" if self.via else self.region.name
        return f"{self.code} ({said}) ordered at {', '.join(self.levels)} — {_CHECK}"

    @property
    def detail(self) -> str:
        word, verb = ("level", "is") if len(self.levels) == 1 else ("levels", "are")
        where = "/".join(self.level_regions)
        code = f"{self.code} (as {self.via})" if self.via else self.code
        return (
            f"The order's code {code} is for a {self.region.name} vertebra, but the {word} "
            f"ordered {verb} {', '.join(self.levels)} ({where}): one of the two is wrong — "
            f"{_CHECK} before the procedure (wrong-level risk)."
        )


def _codes(record: OrderRecord, term: Terminology) -> list[tuple[str, str | None, tuple[str, str]]]:
    """(how the card names the code, the code a local one stands for, the (system, code) whose
    region counts)."""
    out: list[tuple[str, str | None, tuple[str, str]]] = []
    for coding in record.codes:
        if coding.system is None:
            continue
        own = (coding.system, coding.code)
        label = code_label(*own)
        out.append((label, None, own))
        out += [(label, code_label(*alias), alias) for alias in sorted(term.local.get(own, ()))]
    return out


def off_region(
    record: OrderRecord, levels: Sequence[str], term: Terminology
) -> tuple[OffRegion, ...]:
    """The order's codes whose region holds none of its ordered levels; none when no level is
    read (that is said on its own)."""
    if not levels:
        return ()
    regions = {lv: term.properties.get((VERTEBRA, lv, "region")) for lv in levels}
    out: list[OffRegion] = []
    seen: set[tuple[str, str]] = set()
    for label, via, pair in _codes(record, term):
        region = term.code_regions.get(pair)
        if region is None or pair in seen:
            continue
        seen.add(pair)
        if any(regions[lv] in region.regions for lv in levels):
            continue
        named = tuple(dict.fromkeys(r for r in regions.values() if r is not None))
        out.append(OffRegion(label, via, region, tuple(levels), named))
    return tuple(out)
