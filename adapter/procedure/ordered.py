"""The ordered levels of a draft order, and the bodySites whose codes and words disagree
(contract §5: every ordered site is judged at its levels or named as not judged).

The codings of one bodySite are one concept in FHIR: two vertebrae among them ("T12" and "L1",
an integrator flattening a pick list) disagree, and both are ordered levels — judged, and the
card asks to confirm them. A bodySite whose words name a level its codes do not, or not the level
its codes name ("L2" on a site coded T12), is judged at its code (words are never read as a
level), and the card says what its words name that was not checked. Words that name no level, or
levels another bodySite of the order codes ("T11-L1" on the T12 of a construct T11, T12, L1), are
no disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.fhir.read.orders import OrderRecord
from adapter.mapping.sites import Site, coded_levels, levels_in_words
from adapter.mapping.terminology import Terminology
from adapter.scoring import level_order
from adapter.vocabulary.cards import shorten
from adapter.vocabulary.text import and_list

__all__ = ["Disputed", "disputed_sites", "ordered_levels"]

_WORDS_MAX = 40  # the site's own words, quoted in a summary


def _listed(levels: Sequence[str]) -> str:
    """ "T12", "both T12 and L1", "all of T11, T12 and L1"."""
    if len(levels) == 1:
        return levels[0]
    return f"both {and_list(levels)}" if len(levels) == 2 else f"all of {and_list(levels)}"


@dataclass(frozen=True, slots=True)
class Disputed:
    """One ordered bodySite whose codes name several levels, or whose words another level."""

    coded: tuple[str, ...]  # the levels its codings name, all of them judged
    words: str | None  # how the order names it
    disagree: bool  # its words name a level its codes do not, or not the one they name

    @property
    def _confirm(self) -> str:
        return "confirm the levels" if len(self.coded) > 1 else "confirm the level"

    def _finding(self, words: str) -> str:
        named = f" but named {words}" if self.disagree else ""
        return f"ordered site coded {_listed(self.coded)}{named} — {self._confirm}"

    @property
    def finding(self) -> str:
        """The summary's words: "ordered site coded T12 but named “L2” — confirm the level"."""
        return self._finding(f"“{shorten(self.words or '', _WORDS_MAX)}”")

    @property
    def short(self) -> str:
        """The same, without the site's own words (left to the card's detail)."""
        return self._finding("otherwise")

    @property
    def detail(self) -> str:
        words = f"“{self.words}”"
        if len(self.coded) == 1:
            (level,) = self.coded
            return (
                f"An ordered site is coded {level} but named {words}: the level checked is the "
                f"code's, {level} (words are never read as a level); what its words name was not "
                "checked. Confirm the level."
            )
        named = f" ({words})" if self.words and not self.disagree else ""
        checked = "Both levels were" if len(self.coded) == 2 else "All these levels were"
        said = (
            f" Its words, {words}, name another level, which was not checked."
            if self.disagree
            else ""
        )
        return (
            f"One ordered site{named} is coded {_listed(self.coded)}: the codings of a bodySite "
            f"are one concept, so the order is unclear. {checked} checked; confirm the levels and "
            f"record each as its own bodySite.{said}"
        )


def ordered_levels(
    record: OrderRecord, sites: Sequence[Site], term: Terminology
) -> tuple[str, ...]:
    """Every level a bodySite read as a level codes (``sites``: each bodySite resolved), in
    anatomical order: all of a bodySite's vertebra codings, not only the first."""
    levels: set[str] = set()
    for concept, site in zip(record.body_sites, sites, strict=True):
        if site.level is not None:
            levels |= {site.level, *coded_levels(concept, term)}
    return tuple(sorted(levels, key=level_order))


def disputed_sites(
    record: OrderRecord, sites: Sequence[Site], term: Terminology
) -> tuple[Disputed, ...]:
    """The bodySites read as a level whose codings name several levels, or whose words name
    another level than their codes (a level no bodySite of the order codes, or not theirs)."""
    ordered = set(ordered_levels(record, sites, term))
    names = record.site_names or (None,) * len(sites)
    out = []
    for concept, site, words in zip(record.body_sites, sites, names, strict=True):
        if site.level is None:
            continue  # not read as a level: named as such (orders.py)
        coded = coded_levels(concept, term) or (site.level,)
        said = levels_in_words(words)
        disagree = bool(said) and bool(said - ordered or set(coded) - said)
        if len(coded) > 1 or disagree:
            out.append(Disputed(coded, words, disagree))
    return tuple(out)
