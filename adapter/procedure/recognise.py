"""What a draft order is (contract §5 v3): a vertebroplasty or kyphoplasty, a fixation, a spine
procedure the mappings do not know, or none of these — and how a card names it.

Recognition is by the procedure ValueSets (CPT, SNOMED CT, ICD-10-PCS, OPCS-4 and a site's local
map, all data in mappings/). An order they do not hold still counts as a spine procedure when
its code's display or its text names one (vertebroplasty, kyphoplasty, cementoplasty, cement or
vertebral augmentation, pedicle screws, spinal fixation, or "fusion" as a whole word beside
spine, spinal, cervical, thoracic or lumbar, or a name of a fixation the mappings list — spinal
instrumentation, spinal stabilisation, transpedicular fixation —, never a therapy or an
appliance: a discipline named before it or a therapy right after it, both listed in the same
ValueSet; a therapy said further on follows the operation), or when its category is a surgical
procedure and its bodySite a vertebra. The words count whatever the category: interventional
radiology orders "IR VERTEBROPLASTY LUMBAR" in the imaging category. An order whose words name a
study about the procedure ("MRI after lumbar fusion", "XR spine post kyphoplasty",
"Vertebroplasty planning CT", "Fluoroscopy for vertebroplasty") is a study, not the procedure; a
study word that only stands beside the procedure's name says how it is guided or where it is
done ("Vertebroplasty under CT", "Kyphoplasty with imaging", "XR KYPHOPLASTY"), and silence is
never the answer to a spine order.
The bodySite rule never takes an imaging order.
An order coded both as a fixation and as a vertebroplasty or kyphoplasty (two codes, or a local
code mapped to both: the case series' own procedure) is a fixation that also cements: it is
judged by fixation's rules and, at the levels it treats, by cement's (orders.py, ``Order.cement``),
and named for both ("Pedicle screw fixation with vertebroplasty").
A decompression order gets no card of its own (the case series' criteria are not about it); the
levels it decompresses are known to the check of the other orders of the same request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Literal

from adapter.fhir.read.orders import OrderRecord
from adapter.fhir.read.records import Coding
from adapter.mapping.sites import resolve_site
from adapter.mapping.terminology import Terminology

__all__ = ["Kind", "cemented", "decompression", "order_kind", "order_name"]

Kind = Literal["augmentation", "fixation", "unrecognised"]
_VALUE_SETS: tuple[tuple[str, Kind], ...] = (
    # First: an order for screws and cement is a fixation (its levels instrumented or treated);
    # its cement is known by ``cemented``.
    ("spinal-fixation-procedure", "fixation"),
    ("vertebral-augmentation-procedure", "augmentation"),
)
_CEMENT = "vertebral-augmentation-procedure"
_SPINE = r"(?:spine|spinal|cervical|thoracic|lumbar)"
_NEAR = r"(?:\W+\w+){0,2}?\W+"  # beside: at most two words between
_SPINE_WORDS = re.compile(
    r"\b(?:vertebroplast\w*|kyphoplast\w*|cementoplast\w*|cement\s+augmentation|vertebral"
    r"(?:\s+body)?\s+augmentation|pedicle\s+screws?|spinal\s+fixation|fixation\s+of\s+(?:the\s+)?"
    rf"spine|{_SPINE}{_NEAR}fusion|fusion{_NEAR}{_SPINE})\b",
    re.IGNORECASE,
)
# Cementoplasty is done outside the spine too (acetabulum, pelvis, long bones).
_ELSEWHERE = re.compile(
    r"\b(?:acetabul\w*|pelvi\w*|iliac|ilium|ischi\w*|pubi\w*|femor\w*|femur|humer\w*|tibia\w*)\b",
    re.IGNORECASE,
)
# An imaging study named in an order's words; "CT-guided", "under CT guidance" and "fluoroscopic
# guidance" name how a procedure is guided, not a study.
_STUDY = re.compile(
    r"\b(?:MRI|MR|CT|XR|X-?rays?|radiographs?|scan|myelogra\w*|imaging|fluoro\w*|DXA|DEXA)\b"
    r"(?![\s-]*guid)",
    re.IGNORECASE,
)
# What makes a study about the procedure rather than the procedure itself: before, after or for
# it ("post kyphoplasty", "pre-vertebroplasty", "MRI after lumbar fusion"), or planning or
# following it up ("Vertebroplasty planning CT", "Kyphoplasty post-op XR").
_PROCEDURE = (
    r"(?:vertebroplast\w*|kyphoplast\w*|cementoplast\w*|augmentation|fixation|fusion|"
    r"(?:pedicle\s+)?screws?)"
)
# The names of a fixation the mappings list (ValueSet extension ``procedure-name``): words, not
# codes, by which an order is a spine procedure all the same.
_LISTED = ("spinal-fixation-procedure", "procedure-name")
# What makes a listed name a therapy or an appliance, not surgery (the same ValueSet's
# extensions): a discipline named before it ("PT eval and treat - spinal stabilization"), or a
# therapy or appliance that qualifies it, right after it ("spinal stabilisation exercises",
# "… brace (TLSO)", "… - physical therapy"). Said further on, a therapy is what follows the
# operation ("Transpedicular fixation T12 - physio to mobilise day 1"): no veto.
_THERAPY_BEFORE = ("spinal-fixation-procedure", "therapy-before")
_THERAPY_AFTER = ("spinal-fixation-procedure", "therapy-after")
# Words that join what follows to the operation rather than qualify it ("… then rehab").
_JOINS = r"(?:and|then|with|plus|or|followed|after|before|for|to)"


@functools.cache
def _listed_names(names: tuple[str, ...]) -> str | None:
    """The listed names as one alternative, each a whole phrase with any spacing."""
    if not names:
        return None
    phrases = sorted(names, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, name.split())) for name in phrases)


@functools.cache
def _listed(names: tuple[str, ...]) -> re.Pattern[str] | None:
    alternatives = _listed_names(names)
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE) if alternatives else None


@functools.cache
def _therapy_after(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A therapy right after a listed name: next to it, one plain word between at most ("home
    exercise programme"), or alone in the clause after a dash, colon or bracket."""
    alternatives = _listed_names(words)
    if alternatives is None:
        return None
    return re.compile(
        rf"(?:(?:\s+(?!{_JOINS}\b)[^\W\d_]+)?\s+(?:{alternatives})\b"
        rf"|\s*[-–—:(,/]\s*(?:{alternatives})\s*(?:[)\].,;:]|$))",
        re.IGNORECASE,
    )


def _therapy(words: str, at: re.Match[str], term: Terminology) -> bool:
    """Whether the listed name found ``at`` names a therapy or an appliance, not surgery."""
    before = _listed(term.words.get(_THERAPY_BEFORE, ()))
    if before is not None and before.search(words, 0, at.start()) is not None:
        return True
    after = _therapy_after(
        (*term.words.get(_THERAPY_BEFORE, ()), *term.words.get(_THERAPY_AFTER, ()))
    )
    return after is not None and after.match(words, at.end()) is not None


@functools.cache
def _about(names: tuple[str, ...]) -> re.Pattern[str]:
    """A study before, after or for the procedure, or planning or following it up: the
    procedure named by the built-in words or a listed name."""
    listed = _listed_names(names)
    procedure = f"(?:{_PROCEDURE}|{listed})" if listed else _PROCEDURE
    return re.compile(
        r"\b(?:after|post|following|pre|before|prior\s+to|for|planning)\b[\s-]*(?:\w+\W+){0,3}?"
        rf"{procedure}\b|\b{procedure}\W+(?:\w+\W+){{0,2}}?(?:planning|follow[\s-]*up|f/u|"
        r"post[\s-]*op\w*|pre[\s-]*op\w*)\b",
        re.IGNORECASE,
    )


_NAMES: tuple[tuple[str, str], ...] = (  # (word in a display or text, how the card names it)
    ("kyphoplasty", "Kyphoplasty"),
    ("vertebroplasty", "Vertebroplasty"),
)
_KIND_NAMES: dict[Kind, str] = {
    "augmentation": "Vertebroplasty/kyphoplasty",
    "fixation": "Pedicle screw fixation",
    "unrecognised": "Surgical order",
}


def _in(term: Terminology, value_set: str, codes: Iterable[Coding]) -> bool:
    return any(term.in_value_set(value_set, c.system, c.code) for c in codes)


def _words(record: OrderRecord, term: Terminology) -> list[str]:
    """Every name the order goes by: its text, the EHR's displays, our displays of its codes
    (and of the codes a local code maps to)."""
    pairs = [(c.system, c.code) for c in record.codes if c.system is not None]
    pairs += [alias for pair in pairs for alias in term.local.get(pair, ())]
    ours = [term.display(system, code) for system, code in pairs]
    return [w for w in (record.text, *record.displays, *ours) if w]


def _names_spine_procedure(words: str, term: Terminology) -> bool:
    named = [m.group().lower() for m in _SPINE_WORDS.finditer(words)]
    if any(not n.startswith("cementoplast") for n in named):
        return True
    if named:
        return _ELSEWHERE.search(words) is None  # not "Cementoplasty of acetabulum"
    listed = _listed(term.words.get(_LISTED, ()))
    found = listed.finditer(words) if listed is not None else ()
    return any(not _therapy(words, at, term) for at in found)


def _study_about_it(words: str, names: tuple[str, ...]) -> bool:
    """A study of a treated or planned spine ("XR spine post kyphoplasty"), whatever the
    category: a study word alone beside the procedure's name is its guidance."""
    return _STUDY.search(words) is not None and _about(names).search(words) is not None


def _looks_spinal(record: OrderRecord, term: Terminology) -> bool:
    words = [w for w in (record.text, *record.displays) if w]
    imaging = any(_in(term, "imaging-order-category", cat) for cat in record.categories)
    names = term.words.get(_LISTED, ())
    if any(_names_spine_procedure(w, term) for w in words):
        return not any(_study_about_it(w, names) for w in words)
    if imaging:
        return False  # "imaging orders are not" (§5 v3): an MRI at a vertebra is no procedure
    surgical = any(_in(term, "surgical-order-category", cat) for cat in record.categories)
    if not surgical or decompression(record, term):
        return False  # a decompression is not the case series' procedure (criterion 8 reads it)
    return any(resolve_site(site, term).level is not None for site in record.body_sites)


def decompression(record: OrderRecord, term: Terminology) -> bool:
    """A decompression, separation surgery or corpectomy order (ValueSet in mappings/)."""
    return _in(term, "spinal-decompression-procedure", record.codes)


def cemented(record: OrderRecord, term: Terminology) -> bool:
    """Whether the order's codes (a local code through what it maps to) name a vertebroplasty or
    kyphoplasty, whatever else they name."""
    return _in(term, _CEMENT, record.codes)


def order_kind(record: OrderRecord, term: Terminology) -> Kind | None:
    """What the order is, or None when it is no spine procedure at all."""
    for value_set, kind in _VALUE_SETS:
        if _in(term, value_set, record.codes):
            return kind
    return "unrecognised" if _looks_spinal(record, term) else None


def _cement_name(words: list[str]) -> str:
    """ "Vertebroplasty" or "Kyphoplasty" when the order's names say which, else both."""
    lowered = " ".join(words).lower()
    named = [name for word, name in _NAMES if word in lowered]
    return named[0] if len(named) == 1 else _KIND_NAMES["augmentation"]


def order_name(record: OrderRecord, kind: Kind, term: Terminology) -> str:
    """How a card names the order: "Vertebroplasty", "Kyphoplasty", "Pedicle screw fixation",
    "Pedicle screw fixation with vertebroplasty"; an unrecognised order by its own text or
    display."""
    words = _words(record, term)
    if kind == "unrecognised":
        return words[0] if words else _KIND_NAMES[kind]
    if kind == "augmentation":
        return _cement_name(words)
    if cemented(record, term):
        return f"{_KIND_NAMES[kind]} with {_cement_name(words).lower()}"
    return _KIND_NAMES[kind]
