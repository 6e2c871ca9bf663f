"""An order's verdict in one line (contract §4 v3, §5 v3): the order and its level named, the most
serious finding first, never "criteria 1 unmet" — what is wrong, in words.

Seriousness, highest first: the patient recorded as deceased; suspected cord compression
(criteria 4, 5, 8 unmet: the card is critical; an established deficit is not, and is said among
the other unmet criteria, "— new or worse?"); no metastasis at the ordered level (2: a wrong
level is a wrong-site procedure); an active infection (9); the warnings that are not criteria
(cement alone at an unstable level, screws in tumour, a fixation for a level outside its
construct); the other unmet criteria; no level ordered, or the ordered sites not read as a level
(named as the order names them); the unknown criteria — whether a metastasis is at the level (2),
then a deficit or cord compression not known (4, 5, 8), then the others by number; last, what may
make cement alone unsafe but is not certain (to settle or record): a warning, not a criterion,
weighed once the level and the cord are known. An order not to do the procedure
(``doNotPerform``) is not judged and says so. Every surface renders this same line.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from adapter.mapping.sites import levels_in_words
from adapter.procedure.check import COMPRESSION, OrderCheck, pressing
from adapter.procedure.criteria import Criterion
from adapter.scoring import level_runs
from adapter.vocabulary.cards import SUMMARY_MAX, shorten

__all__ = [
    "IDENTITY",
    "IN_THE_CARD",
    "NOT_TO_BE_DONE",
    "findings",
    "headline",
    "order_label",
    "summary",
]

IDENTITY = "check the patient's identity"
MEETS = "meets the case series' selection criteria"
NOT_TO_BE_DONE = "order for it not to be done — selection criteria not checked"
_COMPRESSION = "suspected cord compression — assess for decompression and radiotherapy first"
_COMPRESSION_SHORT = "suspected cord compression — decompression and radiotherapy first"
# Criterion 8 alone: the compression is at another level than the one ordered.
_ELSEWHERE = _COMPRESSION.replace("compression", "compression elsewhere", 1)
_ELSEWHERE_SHORT = _COMPRESSION_SHORT.replace("compression", "compression elsewhere", 1)
# Criterion 8 alone, by a grade no level holds: here or elsewhere, not known which.
_ANYWHERE = _COMPRESSION.replace("compression", "compression here or elsewhere", 1)
_ANYWHERE_SHORT = _COMPRESSION_SHORT.replace("compression", "compression here or elsewhere", 1)
# Where the compression is, as the line says it: (full, short). What to do is never left out:
# the summary may be all an EHR shows (contract §4 v3), so the findings give way instead.
_WHERE = {
    "here": (_COMPRESSION, _COMPRESSION_SHORT),
    "elsewhere": (_ELSEWHERE, _ELSEWHERE_SHORT),
    "anywhere": (_ANYWHERE, _ANYWHERE_SHORT),
}
# The room an order's label takes in a summary at most, before the findings: a long free-text
# order or six levels fixed would otherwise leave no room for what was found and what to do.
_LABEL_ROOM = 40
_NOT_RECOGNISED = "spine procedure not recognised — level criteria not checked (code {code})"
_NO_LEVEL = "no level ordered — record the level"
# A bodySite was ordered but not read as a level: named as the order names it, never "no level".
_NOT_READ = "ordered site{s} not read as a level"
_RECORD_CODE = "record the level as a vertebra code"
# Unmet criteria that lead before the warnings, in this order.
_LEADING = (2, 9)
_WRONG_SITE = 2  # no metastasis (known) at the ordered level
# What does not fit is left whole to the card, and counted.
IN_THE_CARD = " more in the card"
_MORE = "; +{n}" + IN_THE_CARD
_MORE_SHORT = "; +{n} more"


def order_label(check: OrderCheck, *, compact: bool = False) -> str:
    """ "Vertebroplasty L1", "Pedicle screw fixation T11, T12, L1"; an order whose own words name
    a level ("Posterior spinal fusion T11-L1", "Cement augmentation Th12") does not say it again.
    ``compact``: for a summary, the levels as runs ("T10–L3") and the order's words cut at a
    word within :data:`_LABEL_ROOM`, so that the label never takes the findings' room."""
    order = check.order
    named = levels_in_words(order.display)
    if not named <= set(order.levels):
        # Words that read as levels the order does not code ("T12 - 2 levels", "T8 - 12 June")
        # name something else: a label never drops a level it was checked at.
        named = frozenset()
    levels = [lv for lv in order.levels if lv not in named]
    if not compact:
        return f"{order.display} {', '.join(levels)}" if levels else order.display
    where = f" {level_runs(levels)}" if levels else ""
    return shorten(order.display, max(_LABEL_ROOM - len(where), 12)) + where


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


def _cord(check: OrderCheck) -> tuple[list[str], str]:
    """The unmet cord criteria (4, 5, 8; not an established deficit) in words, and where the
    compression is: "elsewhere" when all are 8, "anywhere" when 8 is by a grade no level holds,
    "here" when 8 is by one at a level the order names or bridges."""
    urgent = sorted((c for c in check.criteria if pressing(c)), key=lambda c: c.number)
    where = "here"
    if urgent and all(c.number == 8 and not c.here for c in urgent):
        where = "anywhere" if all(c.unplaced for c in urgent) else "elsewhere"
    return _unique([_said(c) for c in urgent]), where


def findings(check: OrderCheck) -> list[str]:
    """What is wrong with the order, most serious first (empty: nothing)."""
    if check.deceased is not None:
        return [f"{check.deceased} — {IDENTITY}"]
    criteria = check.criteria
    unmet = [c for c in criteria if c.status == "unmet"]
    out: list[str] = []
    compression, where = _cord(check)
    if compression:
        out.append(f"{'; '.join(compression)}: {_WHERE[where][0]}")
    for number in _LEADING:
        out += [_said(c) for c in unmet if c.number == number]
    out += [concern.finding for concern in check.concerns if not concern.possible]
    done = COMPRESSION | set(_LEADING)
    out += [_said(c) for c in unmet if c.number not in done or c.established]
    out += _unread(check)
    unknown = [c for c in criteria if c.status == "unknown"]
    out += [_said(c) for c in sorted(unknown, key=_seriousness)]
    out += [concern.finding for concern in check.concerns if concern.possible]
    return _after_treatment(_unique(out), check)


def _unread(check: OrderCheck) -> list[str]:
    """No level read from a recognised order: none named, or sites not read as one."""
    if check.order.recognised and (not check.level_named or check.order.unplaced):
        return [_no_level(check.order.unplaced)]
    return []


def _unrecognised(check: OrderCheck) -> list[str]:
    if not check.order.recognised and check.deceased is None:
        return [_NOT_RECOGNISED.format(code=check.order.code)]
    return []


def _seriousness(c: Criterion) -> tuple[int, int]:
    """An unknown criterion's rank: whether the metastasis is at the ordered level (2: a wrong
    level is a wrong-site procedure), then the cord by number (4, 5, 8: a deficit or compression
    not known), then the rest in the criteria's own order (the sort is stable)."""
    if c.number == _WRONG_SITE:
        return (0, 0)
    return (1, c.number) if c.number in COMPRESSION else (2, 0)


def _after_treatment(found: list[str], check: OrderCheck) -> list[str]:
    """ "T12 already fixed on 22 May 2024; findings before it — re-image": the treatment's day
    said once. Two treated levels keep each finding's level and day."""
    follows = [c.follows for c in check.concerns if c.follows and c.finding in found]
    if len(follows) != 1:
        return found
    full, after = follows[0]
    return [after if part == full else part for part in found]


def _parts(check: OrderCheck) -> list[str]:
    """The findings in the order the line says them, or that the order meets the criteria."""
    if check.deceased is None and check.order.do_not_perform:
        return [NOT_TO_BE_DONE]
    found = findings(check)
    if unrecognised := _unrecognised(check):
        found = [*found[:1], *unrecognised, *found[1:]]
        if not check.compression:  # the order itself leads unless the cord is at risk
            found = [found[1], found[0], *found[2:]] if len(found) > 1 else found
    return found or [MEETS]


def _shorter(check: OrderCheck) -> list[list[tuple[str, str]]]:
    """The parts in fewer words, one step at a time, while the line is too long: what to do kept
    in view, the why left to the card's detail."""
    steps = [list(_WHERE.values())]
    steps += [[(c.finding, c.short)] for c in check.concerns if c.short is not None]
    steps += [
        [(c.finding, c.short)]
        for lv in check.levels
        for c in lv.criteria
        if c.finding is not None and c.short is not None
    ]
    if unplaced := check.order.unplaced:  # the sites' names stay in the card's detail
        steps.append([(_no_level(unplaced), _no_level(unplaced, named=False))])
    for lv in check.levels:
        for c in lv.criteria:
            forms = [f for f in (c.short or c.finding, *c.fewer) if f is not None]
            steps += [[pair] for pair in pairwise(forms)]
    return steps


@dataclass(frozen=True, slots=True)
class _Lead:
    """One form of the first part: the findings (the why, which may give way), what to do
    (``action``, kept whole), and how many findings it leaves to the card."""

    said: str
    action: str = ""
    hidden: int = 0

    @property
    def text(self) -> str:
        return self.said + self.action


def _leads(check: OrderCheck, parts: list[str]) -> list[_Lead]:
    """The first part as it stands, then in fewer words, each with how many findings it leaves
    to the card: cord compression with what to do in its short form, then with fewer of its
    findings (each still whole); a leading warning with what to do apart. The last is cut in
    its findings, never in what to do."""
    forms = [_Lead(parts[0])]
    compression, where = _cord(check)
    leading = next((c for c in check.concerns if parts[0] in (c.finding, c.short)), None)
    if not compression and leading is not None and ": " in parts[0]:
        # A warning leads ("…, a fracture coded since: settle before cement alone"): cut in its
        # why, never in what to do before the procedure.
        said, _, action = parts[0].rpartition(": ")
        forms.append(_Lead(said, f": {action}"))
    if check.deceased is None and compression:
        # Then without "elsewhere": the findings' own levels ("at T8", "level not recorded") say
        # where, and the room is theirs.
        actions = dict.fromkeys((f": {_WHERE[where][1]}", f": {_COMPRESSION_SHORT}"))
        forms += [
            _Lead("; ".join(compression[:kept]), action, len(compression) - kept)
            for action in actions
            for kept in range(len(compression), 0, -1)
        ]
    return forms


@dataclass(frozen=True, slots=True)
class _Fitted:
    line: str
    hidden: int  # findings left to the card
    cut: bool  # the first part cut at a word


def _fit(label: str, parts: list[str], leads: list[_Lead]) -> _Fitted:
    """As many whole parts as fit, and how many more the card holds ("+2 more", when the longer
    tail does not fit), the first part in fewer words (``leads``) only when it does not fit
    otherwise; a first part too long even alone is cut at a word in its findings, what to do
    kept whole (a summary may be all an EHR shows), never a later part (a part cut mid-way says
    nothing), and what is left out is still counted."""
    for lead in leads:
        rest = [lead.text, *parts[1:]]
        for kept in range(len(rest), 0, -1):
            more = len(rest) - kept + lead.hidden
            for tail in (_MORE, _MORE_SHORT) if more else ("",):
                line = label + "; ".join(rest[:kept]) + tail.format(n=more)
                if len(line) <= SUMMARY_MAX:
                    return _Fitted(line, more, cut=False)
    lead = leads[-1]
    more = len(parts) - 1 + lead.hidden
    tail = (_MORE_SHORT if lead.action else _MORE).format(n=more) if more else ""
    room = SUMMARY_MAX - len(label) - len(lead.action) - len(tail)
    return _Fitted(label + _cut(lead.said, room) + lead.action + tail, more, cut=True)


def _cut(said: str, room: int) -> str:
    """Findings cut to ``room`` at a word, then back before the phrase the cut would leave a
    bare "record", "settle the conflicting", "or" or "a" that names nothing ("…: re-image,
    or…" → "…: re-image…"), or a noun cut from what it names ("a vertebral…"); a parenthesis
    cut open is closed on what was cut ("(30…" → "(…)")."""
    cut = shorten(said, room)
    kept = cut.removesuffix("…")
    while True:
        if kept.count("(") > kept.count(")"):
            # "Frankel/AIS C (…)": the parenthesis closed on what was cut from it.
            closed = f"{kept[: kept.rfind('(')]}(…)"
            if len(closed) <= room and closed.count("(") == closed.count(")"):
                return closed
            kept = kept[: kept.rfind("(")].rstrip(" ,;:")
            continue
        at, mark = max((kept.rfind(mark), mark) for mark in _MARKS)
        tail = kept[at + len(mark) :].removeprefix("or ")
        if at > 0 and (tail in _BARE or tail.split(" ")[-1] in _UNFINISHED):
            kept = kept[:at]
            continue
        return f"{kept}…" if kept != cut else cut


# What to do, with nothing named: a phrase cut to these says nothing; and where phrases part.
_BARE = frozenset(
    {"record", "settle", "settle the", "settle the conflicting", "re-assess", "confirm",
     "confirm the", "or", "and", "a", "an", "the", "and a"}
)  # fmt: skip
_MARKS = ("; ", ": ", " — ", ", ")
# Words a phrase cannot end on and still name what it is about ("a vertebral…", "with no…").
_UNFINISHED = frozenset({"a", "an", "the", "and", "vertebral", "with", "no", "coded", "of"})


def _forms(check: OrderCheck) -> list[list[str]]:
    """The parts as they stand, then in fewer words one step at a time, each step once."""
    parts = _parts(check)
    out = [parts]
    for step in _shorter(check):
        for old, new in step:
            parts = [part.replace(old, new) for part in parts]
        if parts != out[-1]:
            out.append(parts)
    return out


def _shortened(check: OrderCheck, label: str) -> list[str]:
    """The parts, in fewer words one step at a time while the line is too long."""
    parts = _parts(check)
    for step in _shorter(check):
        if len(label + "; ".join(parts)) <= SUMMARY_MAX:
            break
        for old, new in step:
            parts = [part.replace(old, new) for part in parts]
    return parts


def headline(check: OrderCheck) -> str:
    """The whole line, in fewer words when too long but before any part is left out:
    "Vertebroplasty L1: <most serious>; <next> …"."""
    label = f"{order_label(check)}: "
    return label + "; ".join(_shortened(check, label))


def summary(check: OrderCheck, lead: str = "") -> str:
    """The line within the summary's limit, after ``lead`` ("Duplicate order 1 of 2 — ")."""
    label = f"{lead}{order_label(check)}: "
    line = _line(check, label)
    if not _cut_early(line[len(label) :]):
        return line
    # The first finding cut before it is even named whole ("Bilsky 3 at…" beside six levels
    # fixed: at which level?): the label in fewer words — the findings are what matter, and the
    # detail names the order in full.
    short = f"{lead}{order_label(check, compact=True)}: "
    compact = _line(check, short)
    return compact if not _cut_early(compact[len(short) :]) else line


def _cut_early(findings: str) -> bool:
    """Whether the first finding is cut before its name ends (before its date, its reason or
    what to do: " (", " — ", ": "), so that it no longer says what or where."""
    cut = findings.find("…")
    if cut < 0:
        return False
    ends = [i for i in (findings.find(mark) for mark in (" (", " — ", ": ")) if i >= 0]
    return not ends or cut < min(ends)


def _line(check: OrderCheck, label: str) -> str:
    """The line that cuts nothing, then leaves the fewest findings to the card, in the fewest
    steps of fewer words: a finding is shortened only where that shows more of them (words
    given up for a finding the line then leaves out anyway would say less for nothing). A line
    that must cut its first finding cuts it in its fewest words, where the cut takes least."""
    best: tuple[tuple[bool, int, int], str] | None = None
    for steps, parts in enumerate(_forms(check)):
        fitted = _fit(label, parts, _leads(check, parts))
        rank = (fitted.cut, fitted.hidden, -steps if fitted.cut else steps)
        if best is None or rank < best[0]:
            best = (rank, fitted.line)
    assert best is not None  # _forms always holds the parts as they stand
    return best[1]
