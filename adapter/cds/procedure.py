"""The procedure check as a card (contract §5): one card per spine order, its indicator the worst
over its levels and the patient-wide criteria.

The summary names the order and its level and leads with the most serious finding
(adapter/procedure/summary.py); it never says "criteria 1 unmet", never "indicated". Critical
when a neurological deficit or high-grade compression is recorded (assess for decompression and
radiotherapy first); a warning when any criterion is unmet or unknown, a warning that is not a
criterion applies, or an ordered site is not judged (none ordered, or a site, named, not read
as a level); otherwise info. An order the mappings do not recognise still gets a card,
judged by the patient-wide criteria. A deceased patient's order gets a warning to check the
patient's identity; an order not to do the procedure (doNotPerform) an info card that says so,
with no criterion judged. Every card offers the override reasons of CodeSystem override-reason
(mappings/), which feedback accepts.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapter.cds.cards import card_uuid
from adapter.cds.models import Card, CodingModel, Source
from adapter.decision import Decisions, OrderDecision
from adapter.decision.noms import noms_view
from adapter.decision.order_notes import Note
from adapter.decision.orders import criterion_words
from adapter.decision.wording import shorten, without_ids
from adapter.fhir.read.orders import OrderRecord
from adapter.mapping.terminology import Terminology
from adapter.pipeline import unstable_before_earlier
from adapter.procedure.check import LevelCheck, OrderCheck
from adapter.procedure.criteria import Criterion
from adapter.render.noms import noms_context
from adapter.vocabulary.cards import markdown_text as md
from adapter.vocabulary.systems import BASE

__all__ = ["OVERRIDE_REASONS", "order_card", "order_cards", "override_reasons", "unreadable_cards"]

OVERRIDE_REASONS = f"{BASE}/CodeSystem/override-reason"
_OFFERED = ("spine-team-reviewed", "patient-consents", "record-wrong")  # in this order
_PROGNOSIS = ("tomita", "tokuhashi-revised")  # context on the card; the other tools on the page
_SEED_TOKUHASHI = "6–13"  # the case series' patients (revised Tokuhashi, the seed's own reading)
_GUIDE = (
    "Criteria of one case series (20 patients, percutaneous pedicle screw fixation with "
    "vertebroplasty for thoracolumbar metastases): a guide to selection, not an indication."
)
_NOT_CHECKED = "Not checked: cardiopulmonary fitness, the patient's wishes."
_TABLE = ["| # | Criterion | Status | Source and date | What to do |", "|---|---|---|---|---|"]


def override_reasons(term: Terminology) -> list[CodingModel]:
    """The reasons a clinician may give for overriding a procedure-check card."""
    return [
        CodingModel(
            system=OVERRIDE_REASONS, code=code, display=term.display(OVERRIDE_REASONS, code)
        )
        for code in _OFFERED
        if term.has_code(OVERRIDE_REASONS, code)
    ]


def _row(c: Criterion) -> str:
    basis, action = criterion_words(c)
    return f"| {c.number} | {md(c.name)} | **{md(c.status)}** | {md(basis)} | {md(action)} |"


def _sins_line(level: str, decisions: Decisions) -> str | None:
    """The level's SINS in the words of the patient-view card (adapter/decision/sins.py, contract
    §4 v3: one decision, every surface): dated and re-assess, in remission, not assessed; a level
    stabilised by cement or screws as before the treatment, or not applicable once fixed (§6 v3).
    """
    shown = decisions.levels.at(level)
    if shown is None:
        return None
    line, done = shown.line or shown.headline, shown.treatment
    # The card shows one line where patient-view has a detail too: what it was scored from.
    if shown.state == "after-treatment" and done is not None and done.time.day not in line:
        after = f"from the findings after the {done.dated}"
        if unstable_before_earlier(shown.level) is not None:
            # The line is an earlier cement's picture: the score since is another.
            return f"{line}; SINS {shown.level.result.total} {after}"
        line += f" — {after}"
    return line


def _level_section(lv: LevelCheck, decisions: Decisions) -> list[str]:
    role = " (instrumented: criteria 2, 3 and 5 not judged)" if lv.instrumented else ""
    lines = [f"**{md(lv.level + role)}**", ""]
    sins = None if lv.instrumented else _sins_line(lv.level, decisions)
    lines += [md(sins), ""] if sins else []
    return [*lines, *_TABLE, *(_row(c) for c in lv.criteria), ""]


def _prognosis(decisions: Decisions) -> list[str]:
    """Tomita and revised Tokuhashi as the text report and the page say them (a band resting on a
    dated input says so; a haematological primary's caveat in the title)."""
    out = [s.heading for s in decisions.prognosis if s.result.code in _PROGNOSIS]
    seed = f"the case series' patients had revised Tokuhashi {_SEED_TOKUHASHI}"
    lead = "Prognosis, as information for the decision (not a criterion)"
    return [md(f"{lead}: {'; '.join([*out, seed])}.")]


def _note(note: Note) -> str:
    """What is said of the order itself, in the card's Markdown: its lead in bold, the
    record's text escaped."""
    lead = f"**{note.lead}**" if note.lead else ""
    return lead + note.words.format(record=md(note.record))


def _detail(decision: OrderDecision, decisions: Decisions) -> str:
    check, result = decision.check, decisions.result
    lines = [line for note in decision.notes for line in (_note(note), "")]
    view = noms_view(result)  # the framework's path at a treated level: context, not a criterion
    for lv in check.levels:
        lines += _level_section(lv, decisions)
        context = None if lv.instrumented else noms_context(view, lv.level)
        lines += [md(context), ""] if context else []
    if not check.levels and check.patient:
        lines += ["**Patient-wide criteria**", "", *_TABLE, *(_row(c) for c in check.patient), ""]
    if check.context:
        lines += ["**Context**", "", *(f"- {md(line)}" for line in check.context), ""]
    lines += [*_prognosis(decisions), "", _NOT_CHECKED, "", _GUIDE]
    return "\n".join(lines)


def _deceased_detail(check: OrderCheck) -> str:
    return (
        f"The record says the patient is {md(str(check.deceased))}, yet a spine procedure is being "
        "ordered: check the patient's identity and the record before going on. No criterion "
        "was judged and no recommendation is given for a deceased patient; if the record is "
        "wrong, correct Patient.deceased[x]."
    )


_NOT_TO_BE_DONE = (
    "**An order for this procedure not to be done** (ServiceRequest.doNotPerform): the case "
    "series' selection criteria are about doing it, so none was judged. If the procedure is to "
    "be done, correct the order and sign it again to have it checked."
)


def _unjudged_detail(check: OrderCheck) -> str:
    return _deceased_detail(check) if check.deceased is not None else _NOT_TO_BE_DONE


def order_card(
    decision: OrderDecision,
    decisions: Decisions,
    hook_instance: str,
    reasons: Sequence[CodingModel] = (),
    key: str | None = None,
) -> Card:
    """One card per order, rendering its verdict; ``key`` tells its uuid from the other cards'
    (by default the order's reference)."""
    check = decision.check
    detail = _detail(decision, decisions) if decision.checked else _unjudged_detail(check)
    return Card(
        uuid=card_uuid(hook_instance, key or f"procedure:{check.order.reference}"),
        summary=decision.summary,
        detail=detail,
        indicator=decision.indicator,
        source=Source(label="spinemets"),
        overrideReasons=list(reasons) or None,
    )


def order_cards(
    decisions: Decisions, hook_instance: str, reasons: Sequence[CodingModel] = ()
) -> list[Card]:
    """The cards of every order the decisions hold, in order."""
    return [
        order_card(d, decisions, hook_instance, reasons, key)
        for d, key in zip(decisions.orders, _card_keys(decisions), strict=True)
    ]


def _card_keys(decisions: Decisions) -> list[str]:
    """A key per order's card: its reference, which stays the same wherever the order stands in
    the request; with the order's position too when the reference does not tell it from another
    (no id, or an id sent twice), so that feedback on one card is never recorded against another."""
    refs = [d.reference for d in decisions.orders]
    return [
        f"procedure:{ref}" if ref.partition("/")[2] and refs.count(ref) == 1
        else f"procedure:{n}:{ref}"
        for n, ref in enumerate(refs)
    ]  # fmt: skip


_UNREAD_CODE = (
    "whether it is a spine procedure cannot be told",
    "If it is a vertebroplasty, kyphoplasty or spinal fixation, correct its code "
    "(ServiceRequest.code, a coded concept) and sign it again to have it checked; otherwise "
    "nothing needs doing.",
)
_UNREAD_STATUS = (
    "whether it is being ordered cannot be told (FHIR requires a status: draft, active, …)",
    "Correct its status (ServiceRequest.status) and sign it again to have it checked.",
)


_UNREAD_DO_NOT = (
    "whether it orders the procedure or forbids it cannot be told (doNotPerform is true or false)",
    "Correct its doNotPerform (ServiceRequest.doNotPerform, true or false) and sign it again to "
    "have it checked.",
)


def _unreadable_detail(record: OrderRecord) -> str:
    said = [f"As sent: “{md(without_ids(shorten(record.sent_as, 80)))}”."] if record.sent_as else []
    sites = [n for n in record.site_names if n] + list(record.uncoded_sites)
    said += [f"Ordered site: {md(', '.join(sites))}."] if sites else []
    unread = [_UNREAD_STATUS] if record.status_problem else []
    unread += [_UNREAD_DO_NOT] if record.do_not_perform_problem else []
    unread += [_UNREAD_CODE] if record.unreadable else []
    why = "; ".join(w for w, _ in unread)
    why = why[:1].upper() + why[1:]
    return "\n\n".join([
        f"**A draft order could not be read**: {md(str(record.problem))}. {why}, so no "
        "criterion of the case series was judged for it.",
        *said,
        *(fix for _, fix in unread),
    ])  # fmt: skip


def unreadable_cards(
    records: Sequence[OrderRecord], hook_instance: str, reasons: Sequence[CodingModel] = ()
) -> list[Card]:
    """A warning per draft order that could not be read: silence would read as "nothing to
    check" (contract §5 v3: silence is never the answer to a spine order, and this one may be)."""
    return [
        Card(
            uuid=card_uuid(hook_instance, f"unreadable:{n}:{record.reference}"),
            summary=shorten(
                f"Draft order not read ({record.problem}) — not checked as a spine procedure"
            ),
            detail=_unreadable_detail(record),
            indicator="warning",
            source=Source(label="spinemets"),
            overrideReasons=list(reasons) or None,
        )
        for n, record in enumerate(records)
    ]
