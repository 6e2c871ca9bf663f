"""An order's verdict in one line (contract §4 v3, §5 v3): the order and its level named, the most
serious finding first, never "criteria 1 unmet" — what is wrong, in words.

Seriousness, highest first: the patient recorded as deceased; suspected cord compression
(criteria 4, 5, 8 unmet: the card is critical); no metastasis at the ordered level (2: a wrong
level is a wrong-site procedure); an active infection (9); the warnings that are not criteria
(cement alone at an unstable level, screws in tumour, a fixation for a level outside its
construct); the other unmet criteria; no level ordered, or the ordered sites not read as a level
(named as the order names them); what may make cement alone unsafe but is not certain (to settle
or record); the unknown criteria. Every surface renders this same line.
"""

from __future__ import annotations

import re

from adapter.procedure.check import COMPRESSION, OrderCheck
from adapter.procedure.criteria import Criterion
from adapter.vocabulary.cards import SUMMARY_MAX

__all__ = ["IDENTITY", "findings", "headline", "order_label"]

IDENTITY = "check the patient's identity"
MEETS = "meets the case series' selection criteria"
_COMPRESSION = "suspected cord compression — assess for decompression and radiotherapy first"
_COMPRESSION_SHORT = "suspected cord compression — decompression and radiotherapy first"
# Criterion 8 alone: the compression is at another level than the one ordered.
_ELSEWHERE = _COMPRESSION.replace("compression", "compression elsewhere", 1)
_ELSEWHERE_SHORT = _COMPRESSION_SHORT.replace("compression", "compression elsewhere", 1)
_NOT_RECOGNISED = "spine procedure not recognised — level criteria not checked (code {code})"
_NO_LEVEL = "no level ordered — record the level"
# A bodySite was ordered but not read as a level: named as the order names it, never "no level".
_NOT_READ = "ordered site{s} not read as a level"
_RECORD_CODE = "record the level as a vertebra code"
# Unmet criteria that lead before the warnings, in this order.
_LEADING = (2, 9)


def order_label(check: OrderCheck) -> str:
    """ "Vertebroplasty L1", "Pedicle screw fixation T11, T12, L1"."""
    order = check.order
    named = set(re.findall(r"\b[CTLS]\d{1,2}\b", order.display))  # "Cement augmentation T12"
    levels = [lv for lv in order.levels if lv not in named]
    return f"{order.display} {', '.join(levels)}" if levels else order.display


def _said(c: Criterion) -> str:
    return c.finding or f"{c.name[:1].lower()}{c.name[1:]}: {c.status}"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _no_level(unplaced: tuple[str, ...], *, named: bool = True) -> str:
    """No level read: none ordered, or the ordered sites (named) not read as a level."""
    if not unplaced:
        return _NO_LEVEL
    sites = f" ({', '.join(unplaced)})" if named else ""
    return f"{_NOT_READ.format(s='s' if len(unplaced) > 1 else '')}{sites} — {_RECORD_CODE}"


def findings(check: OrderCheck) -> list[str]:
    """What is wrong with the order, most serious first (empty: nothing)."""
    if check.deceased is not None:
        return [f"{check.deceased} — {IDENTITY}"]
    criteria = check.criteria
    unmet = [c for c in criteria if c.status == "unmet"]
    out: list[str] = []
    pressing = sorted((c for c in unmet if c.number in COMPRESSION), key=lambda c: c.number)
    compression = [_said(c) for c in pressing]
    if compression:
        elsewhere = all(c.number == 8 for c in pressing)
        out.append(
            f"{'; '.join(_unique(compression))}: {_ELSEWHERE if elsewhere else _COMPRESSION}"
        )
    for number in _LEADING:
        out += [_said(c) for c in unmet if c.number == number]
    out += [concern.finding for concern in check.concerns if not concern.possible]
    done = COMPRESSION | set(_LEADING)
    out += [_said(c) for c in unmet if c.number not in done]
    if check.order.recognised and not check.level_named:
        out.append(_no_level(check.order.unplaced))
    out += [concern.finding for concern in check.concerns if concern.possible]
    out += [_said(c) for c in criteria if c.status == "unknown"]
    return _unique(out)


def headline(check: OrderCheck) -> str:
    """The whole line, before any cut: "Vertebroplasty L1: <most serious>; <next> …"."""
    found = findings(check)
    if not check.order.recognised and check.deceased is None:
        found = [*found[:1], _NOT_RECOGNISED.format(code=check.order.code), *found[1:]]
        if not check.compression:  # the order itself leads unless the cord is at risk
            found = [found[1], found[0], *found[2:]] if len(found) > 1 else found
    text = "; ".join(found) if found else MEETS
    line = f"{order_label(check)}: {text}"
    if len(line) > SUMMARY_MAX:  # keep what to do in view rather than lose it to the cut
        line = line.replace(_ELSEWHERE, _ELSEWHERE_SHORT).replace(_COMPRESSION, _COMPRESSION_SHORT)
    for concern in check.concerns:  # the why stays in the detail; the what to do stays here
        if len(line) > SUMMARY_MAX and concern.short is not None:
            line = line.replace(concern.finding, concern.short)
    unplaced = check.order.unplaced
    if len(line) > SUMMARY_MAX and unplaced:  # the sites' names stay in the card's detail
        line = line.replace(_no_level(unplaced), _no_level(unplaced, named=False))
    return line
