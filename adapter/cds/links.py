"""The cards' links to the patient page, a SMART app (contract §4 v3, §7).

When the public base URL is set, every card links to ``{base}/smart/launch`` (type ``smart``: the
EHR launches it with ``iss`` and ``launch``). The SINS card carries one link per level with no SINS
finding of its own or some still missing, whose ``appContext`` names the form and the level, so
the app opens that form at that level; the EHR hands ``appContext`` back in the token response
(CDS Hooks 2.0). Tomita's and revised Tokuhashi's cards carry a link to the staging form while
one of their visceral and bone components rests on the coded diagnoses alone (none coded =
none, contract §2): staging never recorded for it. A procedure-check card links the form that
records what its unknown criteria lack (:func:`order_asks`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from adapter.cds.models import Card, Link
from adapter.decision.sins import SinsDecision, SinsLevel
from adapter.pipeline import PatientResult
from adapter.procedure.check import OrderCheck
from adapter.vocabulary import (
    SINS,
    SINS_LOCATION,
    TOKUHASHI_EXTRASPINAL,
    TOKUHASHI_MAJOR_ORGAN,
    TOKUHASHI_REVISED,
    TOKUHASHI_VERTEBRAL,
    TOMITA,
    TOMITA_BONE,
    TOMITA_VISCERAL,
)

__all__ = ["NEUROLOGY_LABEL", "PAGE_LABEL", "STAGING_LABEL", "Ask", "order_asks", "unstaged",
           "with_links"]  # fmt: skip

PAGE_LABEL = "Open the spinal metastasis page"
STAGING_LABEL = "Record the staging (visceral and bone metastases)"
NEUROLOGY_LABEL = "Record the neurology (Frankel or AIS, Bilsky)"
_SINS_LABEL = "Record the SINS findings"
# The SINS card of a metastasis coded without its level: the form adds the level.
_UNPLACED_LABEL = "Record the level and its SINS findings"
Ask = tuple[str, str | None]  # a form a card asks to fill, and the level it opens at
# The procedure-check criteria whose unknown status a form's answer settles (contract §5): 3 by
# the SINS findings (collapse) at the level, 5 by its Bilsky grade, 4 and 8 (Frankel or AIS, the
# other levels' Bilsky) by the neurology form.
_AT_LEVEL = {3: "sins", 5: "neurology"}
_PATIENT_WIDE = (4, 8)
# The components each prognostic score takes from staging: what the staging form records.
_STAGING = {
    TOMITA.code: (TOMITA_VISCERAL.code, TOMITA_BONE.code),
    TOKUHASHI_REVISED.code: (
        TOKUHASHI_MAJOR_ORGAN.code,
        TOKUHASHI_VERTEBRAL.code,
        TOKUHASHI_EXTRASPINAL.code,
    ),
}


def unstaged(result: PatientResult) -> frozenset[str]:
    """The scores one of whose staging components rests on Conditions alone: no staging finding
    (an Observation, or a form's answer) behind it — the visceral answer recorded leaves the bone
    metastases still to record."""
    out = set()
    for score in result.scores:
        for code in _STAGING.get(score.result.code, ()):
            basis = score.bases.get(code)
            evidence = basis.evidence if basis is not None else ()
            if all(ev.ref.resource_type == "Condition" for ev in evidence):
                out.add(score.result.code)
                break
    return frozenset(out)


def _missing(level: SinsLevel) -> bool:
    """Whether some SINS finding of an assessed level is still missing (its range is open)."""
    return any(not c.known for c in level.level.result.components if c.code != SINS_LOCATION.code)


def _sins_links(view: SinsDecision, launch: str, unplaced: bool) -> list[Link]:
    """One link per level with no SINS finding of its own, and per level assessed in part: each
    opens the form at that level (a fixed level is never asked about). With a metastasis
    recorded without its level (``unplaced``), first the form, where its level is added."""
    first = (
        [Link(label=_UNPLACED_LABEL, url=launch, type="smart", appContext='{"form":"sins"}')]
        if unplaced
        else []
    )
    asked = [
        (
            lv.name,
            f"{_SINS_LABEL} at" if not lv.assessed else "Record the missing SINS findings at",
        )
        for lv in view.levels
        if lv.state != "fixed" and (not lv.assessed or _missing(lv))
    ]
    return first + [
        Link(
            label=f"{label} {level}",
            url=launch,
            type="smart",
            appContext=orjson.dumps({"form": "sins", "level": level}).decode(),
        )
        for level, label in asked
    ]


def order_asks(check: OrderCheck) -> tuple[Ask, ...]:
    """The forms an order's card asks to fill: where a criterion is unknown for want of a finding
    a form records, that form (at the level, for a level's criterion)."""
    asks: dict[Ask, None] = {}
    for lv in check.levels:
        for number, form in _AT_LEVEL.items():
            if lv.status(number) == "unknown":
                asks[(form, lv.level)] = None
    patient_wide = any(c.number in _PATIENT_WIDE and c.status == "unknown" for c in check.criteria)
    if patient_wide and not any(form == "neurology" for form, _ in asks):
        asks[("neurology", None)] = None
    return tuple(asks)


def _ask_link(ask: Ask, launch: str) -> Link:
    form, level = ask
    label = NEUROLOGY_LABEL if form == "neurology" else _SINS_LABEL
    context = {"form": form, **({"level": level} if level else {})}
    return Link(
        label=f"{label} at {level}" if level else label,
        url=launch,
        type="smart",
        appContext=orjson.dumps(context).decode(),
    )


def with_links(
    cards: Sequence[Card],
    view: SinsDecision,
    base_url: str | None,
    unstaged: frozenset[str] = frozenset(),
    asks: Mapping[str, Sequence[Ask]] | None = None,
    unplaced: bool = False,
) -> list[Card]:
    """The cards with their links; unchanged when no public base URL is configured. ``view``: the
    decision's levels (``Decisions.levels``), read rather than decided again; ``unstaged``: the
    scores whose staging was never recorded (:func:`unstaged`); ``asks``: by card uuid, the forms
    a card asks to fill (:func:`order_asks`); ``unplaced``: whether a bone metastasis is recorded
    without its level (``PatientAssessment.open_levels``)."""
    if base_url is None:
        return list(cards)
    launch = f"{base_url}/smart/launch"
    page = Link(label=PAGE_LABEL, url=launch, type="smart")
    staging = Link(label=STAGING_LABEL, url=launch, type="smart", appContext='{"form":"staging"}')
    out = []
    for card in cards:
        topic = card.source.topic.code if card.source.topic is not None else None
        links = _sins_links(view, launch, unplaced) if topic == SINS.code else []
        if topic in unstaged:
            links = [staging, page]
        if asks and (asked := asks.get(card.uuid)):
            links = [*(_ask_link(ask, launch) for ask in asked), page]
        out.append(card.model_copy(update={"links": [*(card.links or ()), *(links or [page])]}))
    return out
