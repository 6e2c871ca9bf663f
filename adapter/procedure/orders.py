"""Which draft orders the check covers, what they ask for and at which levels (contract §5).

The ordered levels are the ServiceRequest's bodySite. For a vertebroplasty or kyphoplasty each
ordered level is treated. For a fixation the treated levels are those of the metastasis
Conditions named by ``reasonReference``, else the ordered levels that carry a metastasis and the
metastases, or the cement the request orders, that fill a gap between its screws whole (bridged,
as a completed fixation bridges them); the other ordered levels are instrumented (the screws go
into the neighbouring vertebrae), except those of a construct that treats nothing, alone or beside
another in the same order, which are judged as treated. With no
level read (no bodySite, or sites not read as a level: those are named), every scored level is a
candidate and the card asks to record the level. A spine order the mappings do not recognise is
checked by the patient-wide criteria only (recognise.py).

A fixation coded with cement too is judged at its levels as a fixation, and the levels it treats
as cemented ones (criterion 5's cement-leak rule): of the two rule sets the stricter holds at
every rule that differs (fixation's platelet threshold, cement's Bilsky 1b–1c), while the levels
the screws go into stay instrumented — judging them as cemented lesions would call the case
series' own construct a wrong level. An order not to do the procedure (``doNotPerform``) is named
and not judged (check.py); one whose ``doNotPerform`` is no boolean is not read ("Draft order
not read"): it may forbid what it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapter.fhir.read.orders import OrderRecord
from adapter.mapping.sites import Site, coded_levels, resolve_site
from adapter.mapping.terminology import Terminology
from adapter.mapping.treatments import between_screws, spanned
from adapter.pipeline import PatientResult
from adapter.procedure.ordered import Disputed, disputed_sites, ordered_levels
from adapter.procedure.recognise import Kind, cemented, decompression, order_kind, order_name
from adapter.procedure.region import OffRegion, off_region
from adapter.scoring import LEVELS, level_order
from adapter.vocabulary import SINS_LOCATION
from adapter.vocabulary.systems import code_label

__all__ = [
    "Kind",
    "Order",
    "by_reason",
    "decompressed_levels",
    "procedure_orders",
    "reason_levels",
    "reasons_by_level",
    "selected_orders",
    "treated_levels",
    "unreadable_orders",
    "untreated_reach",
]

_LEVELS = frozenset(LEVELS)


@dataclass(frozen=True, slots=True)
class Order:
    """A draft order the check covers."""

    record: OrderRecord
    kind: Kind
    levels: tuple[str, ...]  # the ordered levels (bodySite), anatomical order
    unplaced: tuple[str, ...]  # ordered bodySites not read as a level, as the order names them
    name: str = ""  # how a card names it: "Vertebroplasty", "Pedicle screw fixation", …
    with_cement: bool = False  # a fixation whose codes name a vertebroplasty or kyphoplasty too
    disputed: tuple[Disputed, ...] = ()  # bodySites whose codes and words disagree (ordered.py)
    off_region: tuple[OffRegion, ...] = ()  # codes for a region no ordered level is in (region.py)

    @property
    def reference(self) -> str:
        return self.record.reference

    @property
    def display(self) -> str:
        return self.name or self.record.text or "Spine procedure"

    @property
    def recognised(self) -> bool:
        return self.kind != "unrecognised"

    @property
    def cement(self) -> bool:
        """Cement goes into the levels it treats (alone, or with the order's own screws)."""
        return self.kind == "augmentation" or self.with_cement

    @property
    def do_not_perform(self) -> bool:
        return self.record.do_not_perform

    @property
    def code(self) -> str:
        """The order's codes as sent, for "not recognised (code …)"."""
        return ", ".join(c.code for c in self.record.codes) or "none"


def _in_scope(
    records: Sequence[OrderRecord],
    selections: Sequence[str] | None,
    hook: str,
    *,
    unread_status: bool = False,
) -> list[OrderRecord]:
    """The draft orders a hook asks about (order-sign: also active, for revised orders being
    re-signed); for order-select only the selected ones, or every draft of the basket when
    ``selections`` is None. ``unread_status``: also those whose status cannot be read (they may
    be drafts)."""
    statuses = {"draft", "active"} if hook == "order-sign" else {"draft"}
    wanted = set(selections) if hook == "order-select" and selections is not None else None
    return [
        r
        for r in records
        if (r.status in statuses or (unread_status and r.status_problem is not None))
        and (wanted is None or r.reference in wanted)
    ]


def procedure_orders(
    records: Sequence[OrderRecord], selections: Sequence[str] | None, hook: str, term: Terminology
) -> list[Order]:
    """The orders to check: the orders asked about that are spine procedures, recognised or
    not."""
    orders = []
    for record in _in_scope(records, selections, hook):
        kind = order_kind(record, term)
        if kind is None or record.do_not_perform_problem is not None:
            continue  # no spine procedure, or whether it is ordered at all cannot be told
        sites = [resolve_site(concept, term) for concept in record.body_sites]
        levels = ordered_levels(record, sites, term)
        name = order_name(record, kind, term)
        with_cement = kind == "fixation" and cemented(record, term)
        disputed = disputed_sites(record, sites, term)
        unplaced = _unplaced(record, sites)
        off = off_region(record, levels, term)
        orders.append(Order(record, kind, levels, unplaced, name, with_cement, disputed, off))
    return orders


def selected_orders(
    basket: Sequence[Order], selections: Sequence[str] | None, hook: str
) -> list[Order]:
    """The orders of the basket a hook asks about: for order-select the selected ones, else
    all. The others stay the request's: a fixation already in the basket keeps the cement just
    selected company (contract §5 v3, "alone")."""
    if hook != "order-select":
        return list(basket)
    wanted = set(selections or ())
    return [o for o in basket if o.reference in wanted]


def unreadable_orders(
    records: Sequence[OrderRecord], selections: Sequence[str] | None, hook: str, term: Terminology
) -> list[OrderRecord]:
    """The orders asked about whose code cannot be read and that nothing else shows to be a spine
    procedure: whether they are cannot be told, so they are named rather than passed over (an
    order whose readable parts are recognised is checked as such). Likewise a spine order, or
    one whose code cannot be read, whose status cannot be: whether it is being ordered cannot be
    told, or whose doNotPerform cannot be: whether it orders the procedure or forbids it (an
    order that is no spine procedure is not this service's, whatever its status)."""
    out = []
    for r in _in_scope(records, selections, hook, unread_status=True):
        spine = order_kind(r, term) is not None
        if r.status_problem is not None or r.do_not_perform_problem is not None:
            named = spine or r.unreadable is not None
        else:
            named = r.unreadable is not None and not spine
        if named:
            out.append(r)
    return out


def _unplaced(record: OrderRecord, sites: Sequence[Site]) -> tuple[str, ...]:
    """The ordered sites not read as a level, as the order names them (its words are shown, never
    read as a level: "T8" in free text is not the level T8); with no words, what the code is."""
    names = record.site_names or (None,) * len(sites)
    out = []
    for concept, site, named in zip(record.body_sites, sites, names, strict=True):
        if site.level is not None:
            continue
        first = concept[0]  # a code the mappings do not know: say which code it is
        said = code_label(first.system, first.code) if site.kind == "unknown" else site.label
        out.append(named or said)
    return (*out, *record.uncoded_sites)


def decompressed_levels(records: Sequence[OrderRecord], term: Terminology) -> frozenset[str]:
    """The levels a request's draft decompression orders decompress (for criterion 8): the level
    of each bodySite whose vertebra codings agree (words never read). Codings of one bodySite are
    alternatives for one concept (FHIR), so codings that name several levels leave the level
    unknown, and a decompression that may be elsewhere silences no compression alarm; several
    bodySites are several levels. An order not to decompress, or one that may be (its
    doNotPerform unreadable), decompresses nothing."""
    levels: set[str] = set()
    for record in records:
        wanted = record.status in ("draft", "active") and not record.do_not_perform
        wanted = wanted and record.do_not_perform_problem is None  # may forbid it
        if wanted and decompression(record, term):
            for concept in record.body_sites:
                level = resolve_site(concept, term).level
                if level is not None and len(coded_levels(concept, term)) <= 1:
                    levels.add(level)
    return frozenset(levels)


def treated_levels(
    order: Order, result: PatientResult, cemented: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """(treated levels, instrumented levels) of an order for this patient; an unrecognised order
    is judged at no level. ``cemented``: the levels the same request orders cement into."""
    if not order.recognised:
        return [], []
    scored = [lv.level for lv in result.levels]
    if order.kind == "augmentation" or not order.levels:
        reasons = sorted({lv for each in by_reason(order, result) for lv in each}, key=level_order)
        return (list(order.levels) or reasons or scored), []
    reasons = reason_levels(order, result)
    if reasons:
        treated = reasons
    else:
        lesions = set(scored) | {level for level, _ in result.assessment.unscored}
        # Screws into a metastasis treat it. Screws above and below the metastases, or the
        # cement the same request orders, that fill a gap between them whole bridge them (the
        # case series' construct: screws into the adjacent vertebrae), as a completed fixation
        # does (adapter/mapping/treatments.py).
        # A metastasis Condition's level fills a gap, as for completed screws (treatments.py):
        # not one known from findings only, nor one "at an unrecorded level".
        named = {lv.level for lv in result.levels if lv.assessment.origin != "findings"}
        placed = (named | {level for level, _ in result.assessment.unscored}) & _LEVELS
        bridged = {*between_screws(order.levels, placed), *between_screws(order.levels, cemented)}
        treated = [lv for lv in order.levels if lv in lesions] + sorted(bridged)
        # The screws of a construct that treats nothing (all of them, when none does) are
        # judged as treated: a construct away from every metastasis is a wrong level to say,
        # never one that meets by default, whether it comes alone or beside another.
        treated += _treating_nothing(order.levels, {*treated})
    instrumented = [lv for lv in order.levels if lv not in treated]
    return sorted(treated, key=level_order), instrumented


def _treating_nothing(screws: Sequence[str], treated: set[str]) -> list[str]:
    """The screw levels of the constructs that treat none of ``treated``: one order may hold two
    constructs, told apart by a gap between screws that nothing treated fills whole."""
    placed = sorted(screws, key=level_order)
    runs: list[list[str]] = []
    for level in placed:
        if runs:
            gap = LEVELS[LEVELS.index(runs[-1][-1]) + 1 : LEVELS.index(level)]
            if all(lv in treated for lv in gap):  # adjacent, or bridging what it treats
                runs[-1].append(level)
                continue
        runs.append([level])
    return [lv for run in runs if not any(t in spanned(run) for t in treated) for lv in run]


def by_reason(order: Order, result: PatientResult) -> list[list[str]]:
    """The levels a fixation naming none is checked at, reason by reason (its reasonReference);
    [] for an order that names its levels, or for cement, which is checked at every scored
    level instead."""
    if order.levels or order.kind != "fixation":
        return []
    return reasons_by_level(order, result)


def reason_levels(order: Order, result: PatientResult) -> list[str]:
    """The levels of the metastasis Conditions the order names as its reason (reasonReference)."""
    levels = {level for each in reasons_by_level(order, result) for level in each}
    return sorted(levels, key=level_order)


def untreated_reach(order: Order, treated: Sequence[str]) -> dict[str, str]:
    """The levels an order reaches but does not treat, each with how a card says where it is:
    its other ordered levels (instrumented, or an unrecognised order's own) and, for a fixation,
    the levels its construct bridges. Compression there is at the operated site, not elsewhere."""
    out = {lv: "at an ordered level" for lv in order.levels if lv not in treated}
    ordered = sorted(order.levels, key=level_order)
    if order.kind == "fixation" and len(ordered) > 1:
        top, bottom = LEVELS.index(ordered[0]), LEVELS.index(ordered[-1])
        within = f"within the construct ({ordered[0]}–{ordered[-1]})"
        bridged = LEVELS[top : bottom + 1]
        out |= {lv: within for lv in bridged if lv not in order.levels and lv not in treated}
    return out


def reasons_by_level(order: Order, result: PatientResult) -> list[list[str]]:
    """The levels of each metastasis Condition the order names as its reason, one list per
    Condition that names a scored level (one diagnosis may name several vertebrae)."""
    out = []
    for reason in dict.fromkeys(order.record.reasons):
        levels = [
            lv.level
            for lv in result.levels
            if any(ev.ref.reference == reason for ev in lv.bases[SINS_LOCATION.code].evidence)
        ]
        if levels:
            out.append(sorted(levels, key=level_order))
    return out
