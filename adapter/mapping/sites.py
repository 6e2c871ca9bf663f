"""Body sites → spinal levels: the vertebra CodeSystem, and SNOMED CT through mappings/."""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Literal

from adapter.fhir.read.records import Coding
from adapter.mapping.terminology import Terminology
from adapter.scoring import LEVELS, level_order
from adapter.vocabulary.systems import SNOMED, VERTEBRA, code_label

__all__ = [
    "Site",
    "SiteKind",
    "coded_levels",
    "disputed_level",
    "levels_in_words",
    "read_by_words",
    "resolve_site",
]

SiteKind = Literal["level", "spinal", "other", "unknown", "invalid"]
_EXTRASPINAL = "extraspinal-bone-site"


@dataclass(frozen=True, slots=True)
class Site:
    """Where a lesion or finding is.

    kind: ``level`` (a known spinal level), ``spinal`` (spinal, level not named), ``other``
    (known to be outside the spine: an extraspinal focus), ``unknown`` (a code the mappings do
    not know: no evidence that it is outside the spine) or ``invalid`` (a vertebra code that does
    not exist). ``name``: what the site is called ("Thoracic spine structure").
    ``within``: for a spinal site that names a region ("lumbar spine"), the levels it may be at —
    the map's targets for the region; empty when the site may be at any level (the mappings give
    it no levels: a vertebral body, the sacrum).
    For a site outside the spine, ``side`` is the side recorded (``left``, ``right``, ``both``;
    empty when none is) and ``what`` the site its name says without the side ("femur", "fifth
    rib"): a left and a right femur are two sites, a femur with no side beside a left one may be
    either (contract §2 counts).
    """

    kind: SiteKind
    level: str | None
    key: str
    label: str
    within: frozenset[str] = frozenset()
    name: str = ""
    side: str = ""
    what: str = ""


# SNOMED CT laterality qualifiers (mCODE LateralityVS; DICOM's unilateral left and right), as a
# coding of the bodySite or the value of its mCODE laterality extension (adapter/fhir/read).
_SIDE_CODES: dict[tuple[str | None, str], str] = {
    (SNOMED, "7771000"): "left",
    (SNOMED, "419161000"): "left",
    (SNOMED, "24028007"): "right",
    (SNOMED, "419465000"): "right",
    (SNOMED, "51440002"): "both",
}
# A side as EHRs write it: "left", "Lt", "L femur", "Femur (R)", "bilateral"; never "L2" (a
# word boundary), nor "R/O" (rule out).
_SIDE_WORDS = re.compile(
    r"(?<![\w/])(left|lt|l|right|rt|r|bilateral|bilat)\b\.?(?!/)", re.IGNORECASE
)
_SIDE_OF = {
    "l": "left",
    "lt": "left",
    "r": "right",
    "rt": "right",
    "bilat": "both",
    "bilateral": "both",
}
# What a site is, as its name says it without its side: "Bone structure of left femur",
# "femur, left" and "LEFT FEMUR" are one femur; "fifth rib" and "seventh rib" are two bones.
_STRUCTURE_OF = re.compile(r"^(?:entire )?(?:bone )?(?:structure )?(?:of )?(?:the )?")


# The same few dozen bodySite codings recur in every patient: each is classified once (keyed
# on the codings and the Terminology, which hashes by identity).
@functools.lru_cache(maxsize=4096)
def resolve_site(concept: tuple[Coding, ...], term: Terminology) -> Site:
    """Classify one bodySite CodeableConcept; the first coding that names a level wins."""
    sides = {_SIDE_CODES[c.system, c.code] for c in concept if (c.system, c.code) in _SIDE_CODES}
    concept = tuple(c for c in concept if (c.system, c.code) not in _SIDE_CODES) or concept
    generic: Site | None = None
    for coding in concept:
        label = f"{coding.system}|{coding.code}"
        if coding.system == VERTEBRA:
            if coding.code in LEVELS:
                return Site("level", coding.code, coding.code, coding.code)
            return Site("invalid", None, label, f"vertebra code {coding.code!r} does not exist")
        levels = term.translate(coding.system, coding.code, VERTEBRA)
        if levels is None:
            continue
        if len(levels) == 1:
            (level,) = levels
            return Site("level", level, level, level)
        named = _named(coding, term)
        site = Site("spinal", None, label, f"{named} names no spinal level", levels, named)
        # A coding that names the region wins over one that could be anywhere in the spine.
        if generic is None or (levels and not generic.within):
            generic = site
    if generic is not None:
        return generic
    first = concept[0]
    key = f"{first.system}|{first.code}"
    known = next((c for c in concept if term.in_value_set(_EXTRASPINAL, c.system, c.code)), None)
    if known is not None:
        # Cited by display ("Bone structure of femur"), never by code alone (contract §4 v3).
        named = _named(known, term)
        site = Site("other", None, f"{known.system}|{known.code}", named, name=named)
        return _sided(site, _one_side(sides))
    # Not understood: the lesion may as well be in the spine, so it is never an extraspinal
    # focus by default (contract §2: only a non-spinal bodySite is one).
    named = _named(first, term)
    return Site("unknown", None, key, f"{named} not understood", name=named)


@functools.lru_cache(maxsize=4096)
def coded_levels(concept: tuple[Coding, ...], term: Terminology) -> tuple[str, ...]:
    """Every level the codings of one bodySite name, in anatomical order (a coding that names a
    region or no level adds none). More than one: the codings, which FHIR means as one concept,
    disagree."""
    found: set[str] = set()
    for coding in concept:
        if coding.system == VERTEBRA:
            found |= {coding.code} & set(LEVELS)
            continue
        levels = term.translate(coding.system, coding.code, VERTEBRA)
        if levels is not None and len(levels) == 1:
            found |= levels
    return tuple(sorted(found, key=level_order))


def disputed_level(
    concept: tuple[Coding, ...], site: Site, words: str | None, term: Terminology
) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """When a bodySite read as one level settles none: the levels its codings name (several:
    one concept, as FHIR means them, naming two levels; else the one) and every level it may be
    at (its words naming another level than its code). None when it settles its level, or is
    no level."""
    if site.kind != "level" or site.level is None:
        return None
    # One coding names one level: only several can disagree among themselves.
    coded = coded_levels(concept, term) if len(concept) > 1 else (site.level,)
    if len(coded) > 1:
        return coded, frozenset(coded)
    if not words or words == site.level:
        return None
    said = levels_in_words(words)
    if said and not said >= set(coded):
        return coded, frozenset(coded) | said
    return None


# A level as people write it, or a run of them: "T12", "T12-L1", "T11–12", "L4 to S1", "L-2",
# "T 12"; the thoracic spine also as "Th" (German-speaking clinicians) and "D" (dorsal: Italian,
# French, Spanish and Indian usage), and the German vertebral bodies HWK, BWK and LWK.
_REGION = r"(HWK|BWK|LWK|Th|[CTDLS])"
_LEVEL_WORDS = re.compile(
    rf"\b{_REGION}(?:\s?-\s?|\s)?(\d{{1,2}})(?:\s*(?:-|–|—|\bto\b)\s*{_REGION}?\s?(\d{{1,2}}))?\b",
    re.IGNORECASE,
)
_REGION_OF = {"hwk": "C", "bwk": "T", "lwk": "L", "th": "T", "d": "T"}
# Spelled out: "Lumbar vertebra 2", "second lumbar vertebra", "12th thoracic vertebra".
_REGION_NAMES = {"cervical": "C", "thoracic": "T", "dorsal": "T", "lumbar": "L", "sacral": "S"}
_ORDINALS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth",
)  # fmt: skip
_NAMES = "|".join(_REGION_NAMES)
_SPELLED = re.compile(
    rf"\b(?:({_NAMES})\s+(?:vertebra[el]?|vertebral\s+body)\s+(\d{{1,2}})|"
    rf"({'|'.join(_ORDINALS)}|\d{{1,2}}(?:st|nd|rd|th))\s+({_NAMES}))\b",
    re.IGNORECASE,
)


def _region(written: str) -> str:
    return _REGION_OF.get(written.lower(), written.upper())


def _ordinal(written: str) -> int:
    lowered = written.lower()
    return _ORDINALS.index(lowered) + 1 if lowered in _ORDINALS else int(lowered[:-2])


@functools.lru_cache(maxsize=4096)  # the same few site names in every record: bounded
def levels_in_words(words: str | None) -> frozenset[str]:
    """The levels a site's or an order's words name, a run ("T11-L1") with every level in it.
    Detected to tell words that disagree with a code, or a level an order's name already says,
    never read as the level: "T8" in free text is not T8."""
    found: set[str] = set()
    for region, number, end_region, end in _LEVEL_WORDS.findall(words or ""):
        first = f"{_region(region)}{int(number)}"
        if first not in LEVELS:
            continue
        last = f"{_region(end_region or region)}{int(end)}" if end else first
        if last not in LEVELS:
            last = first
        low, high = sorted((LEVELS.index(first), LEVELS.index(last)))
        found |= set(LEVELS[low : high + 1])
    for name, number, ordinal, ordinal_name in _SPELLED.findall(words or ""):
        if name:
            level = f"{_REGION_NAMES[name.lower()]}{int(number)}"
        else:
            level = f"{_REGION_NAMES[ordinal_name.lower()]}{_ordinal(ordinal)}"
        found |= {level} & set(LEVELS)
    return frozenset(found)


# Words that may name the spine or a soft tissue: a bodySite saying any of them is never read
# as a bone outside the spine by its words (contract §2: only a non-spinal bodySite is one).
_NOT_EXTRASPINAL = re.compile(
    r"spin|vertebr|sacr|coccy|cervic|thorac|lumb|atlas|axis|dens\b|odontoid|occip|disc"
    r"|pedicle|lamin|facet|transverse|costotransverse|uncinate"
    r"|\b[ctls]\d{1,2}\b|lymph|node|arter|vein|nerve|muscle|skin|soft tissue|renal|kidney",
    re.IGNORECASE,
)


def read_by_words(site: Site, words: str | None, term: Terminology) -> Site:
    """A site not understood whose words name a bone outside the spine ("Left tibia", ValueSet
    extension ``bone-name``) and nothing that may be spinal or soft tissue: that bone, cited by
    its words; a bone whose coding gives no side takes the side its words say ("Left femur").
    Any other site is returned as it is."""
    if site.kind == "other" and not site.side and words:
        return _sided(site, _words_side(words))
    if site.kind != "unknown" or not words or _NOT_EXTRASPINAL.search(words):
        return site
    found = _bone_words(term.words.get((_EXTRASPINAL, "bone-name"), ()))
    if found is None or not found.search(words.casefold()):
        return site
    # Keyed on its words but not its side: one local code may stand for either tibia, and
    # "Left tibia" and "Right tibia" are then the same bone on two sides.
    read = Site("other", None, f"{site.key}|{_what(words)}", words, name=words)
    return _sided(read, _words_side(words))


def _one_side(sides: set[str]) -> str:
    """Left and right together, or "both", is both sides; none is no side recorded."""
    if "both" in sides or len(sides) > 1:
        return "both"
    return next(iter(sides), "")


def _words_side(words: str) -> str:
    found = {m.casefold() for m in _SIDE_WORDS.findall(words)}
    return _one_side({_SIDE_OF.get(w, w) for w in found})


def _what(name: str) -> str:
    """A site's name without its side, case or punctuation: the sites it may be the same as."""
    words = " ".join(re.sub(r"[\W_]+", " ", _SIDE_WORDS.sub(" ", name.casefold())).split())
    return _STRUCTURE_OF.sub("", words)


def _sided(site: Site, side: str) -> Site:
    """The site with its side, and what it is without it (to tell a femur without a side beside
    a left one); the label says the side when its words do not."""
    said = {"both": "left and right"}.get(side, side)
    label = site.label if not side or _SIDE_WORDS.search(site.label) else f"{site.label}, {said}"
    return dataclasses.replace(site, side=side, what=_what(site.name) or site.key, label=label)


@functools.cache
def _bone_words(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w.casefold()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def _named(coding: Coding, term: Terminology) -> str:
    """The mappings' display of a coding, else what the code is ("SNOMED CT 123")."""
    return term.display(coding.system or "", coding.code) or code_label(coding.system, coding.code)
