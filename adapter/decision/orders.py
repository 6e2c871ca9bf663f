"""Each spine order's verdict (contract §5): its indicator and its one-line summary, decided once
and rendered by the procedure-check card, the text report and the page.

The line itself is adapter/procedure/summary.py's (the order named, the most serious finding
first); a deceased patient's order is not judged against the case series: it is a warning that
asks to check the patient's identity (contract §4 v3); nor is an order not to do the procedure
(info, named as such).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from adapter.decision.order_notes import Note, order_notes
from adapter.decision.wording import shorten, without_ids
from adapter.procedure.check import OrderCheck
from adapter.procedure.criteria import Criterion
from adapter.procedure.summary import IN_THE_CARD, summary
from adapter.vocabulary.cards import Indicator
from adapter.vocabulary.text import one_line

__all__ = ["Indicator", "OrderDecision", "criterion_words", "order_decisions"]

# The list beneath the line holds every finding, the line's own too: "+6 more below" above seven
# items would miscount it.
_BELOW = " more; the full list below"


@dataclass(frozen=True, slots=True)
class OrderDecision:
    """One order's verdict: the check and what every surface says of it."""

    check: OrderCheck
    indicator: Indicator
    summary: str  # < 140 characters: whole findings, and how many more the card holds
    # False: not judged against the criteria (a deceased patient; an order not to do it)
    checked: bool = True

    @property
    def reference(self) -> str:
        return self.check.order.reference

    @property
    def listed(self) -> str:
        """The line as a surface that lists :attr:`items` beneath it says it (the text report,
        the page): what it leaves out is "+2 more; the full list below", not in a card it does
        not hold."""
        line = self.summary
        return f"{line.removesuffix(IN_THE_CARD)}{_BELOW}" if line.endswith(IN_THE_CARD) else line

    @property
    def notes(self) -> tuple[Note, ...]:
        """What is said of the order itself before its criteria (not recognised, no level read,
        none recorded for the patient, each warning); none for an order not judged."""
        return order_notes(self.check) if self.checked else ()

    @property
    def items(self) -> tuple[str, ...]:
        """What the card's detail holds, for a surface with no card (the text report, the page):
        its :attr:`notes` in the card's words, then each criterion not met, level by level and
        then patient-wide, with what to do ("T12, criterion 3 (Pathological fracture or
        instability at the level): unknown — … → confirm …"). Empty for an order not judged, or
        meeting them all."""
        check = self.check
        if not self.checked:
            return ()
        out = [note.plain for note in self.notes]
        rows = [(f"{lv.level}, criterion", c) for lv in check.levels for c in lv.criteria
                if c not in check.patient]  # fmt: skip
        rows += [("Criterion", c) for c in check.patient]
        for which, c in rows:
            if c.status == "met":
                continue
            basis, action = criterion_words(c)
            then = f" → {action}" if action else ""
            out.append(f"{which} {c.number} ({c.name}): {c.status} — {basis}{then}")
        # Record text (a drug's name, a site's words) on one line and bounded, as the card's
        # Markdown escaping does for the card.
        return tuple(shorten(one_line(item), _ITEM_ROOM) for item in out)

    @property
    def where(self) -> str:
        """The ordered levels, or "level not recorded"."""
        return ", ".join(self.check.order.levels) or "level not recorded"


def criterion_words(c: Criterion) -> tuple[str, str]:
    """A criterion as the card's table and the report's list say it: what it rests on (its
    sources and dates, without the record's ids), then what to do ("" for nothing). Not the
    line's finding, which may hold what to do in a few words already."""
    return without_ids(c.basis), c.action or ""


def order_decisions(checks: Sequence[OrderCheck]) -> tuple[OrderDecision, ...]:
    """The verdict on each checked order of one request; two orders that would read the same are
    told apart first, so that the cut never hides it: the same order twice as "Duplicate order 1
    of 2 — …", other orders by where they were ordered ("twelfth thoracic — …")."""
    lines = [summary(check) for check in checks]
    orders = [_same(check) for check in checks]
    wheres = [_where(check) for check in checks]
    # Counted once, not per order: a call may carry many (quadratic time was a denial of service).
    alike, copies = Counter(lines), Counter(orders)
    placed = Counter(zip(lines, wheres, strict=True))
    seen: dict[tuple[object, ...], int] = {}
    out = []
    for n, (check, line, same) in enumerate(zip(checks, lines, orders, strict=True)):
        if alike[line] > 1:
            if copies[same] > 1:  # the same order twice: a repeat to cancel?
                seen[same] = seen.get(same, 0) + 1
                line = summary(check, f"Duplicate order {seen[same]} of {copies[same]} — ")
            else:  # other orders whose lines read alike: told apart by where they were ordered
                where = wheres[n]
                if not where or placed[line, where] > 1:
                    where = f"Order {n + 1} of {len(checks)}"  # no words tell them apart
                line = summary(check, f"{where} — ")
        out.append(OrderDecision(check, check.indicator, shorten(line), checked=check.judged))
    return tuple(out)


def _same(check: OrderCheck) -> tuple[object, ...]:
    """What makes two orders the same order: the procedure, where, and whether it is to be done."""
    order = check.order
    return (order.kind, order.display, order.levels, order.unplaced, order.do_not_perform)


def _where(check: OrderCheck) -> str:
    """Where an order was ordered, in the words of its sites not read as a level (its levels
    are in its label already), briefly; empty when it names none."""
    words = ", ".join(check.order.unplaced)
    return shorten(words, _WHERE_ROOM) if words else ""


# The room the words of an order's sites take before its line: the findings keep theirs.
_WHERE_ROOM = 24
# The room of one item beneath an order's line: every criterion's words whole (ten active
# antithrombotics named, 1,300 characters; each record's own words are bounded where they are
# read), the sum of many hostile ones bounded.
_ITEM_ROOM = 10_000
