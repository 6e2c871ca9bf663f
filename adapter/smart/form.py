"""A spinemets Questionnaire as a plain HTML form, prefilled from ``$populate``, and the form's
answers back as a QuestionnaireResponse.

Native controls only (fieldsets of radio buttons, number fields), so the form works with the
keyboard and a screen reader without a script. Each question offers "not known" beside its
answers: a radio group cannot otherwise be emptied from the keyboard, and an unknown finding must
stay unanswered rather than guessed. A prefilled answer says when the record has it from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from adapter.errors import InputError
from adapter.fhir.read.timing import day_text
from adapter.questionnaire.expressions import calculate
from adapter.questionnaire.forms import MIN_VALUE
from adapter.questionnaire.populate import Reports, form_named, questionnaire
from adapter.scoring import LEVELS, level_runs
from adapter.vocabulary.forms import (
    LEVEL_GROUP,
    LEVEL_ITEM,
    RECORDED_AT,
    is_prefilled,
    questionnaire_url,
)
from adapter.vocabulary.systems import VERTEBRA

__all__ = [
    "ADD",
    "ADD_LEVEL",
    "ChangedUnderForm",
    "Kept",
    "added_level",
    "form_html",
    "has_answer",
    "kept_entries",
    "response_from",
]

WHOLE = "patient"  # the field-name prefix of questions about the patient as a whole
# The prefix of the hidden field that says what the form showed for a question, and the field
# that says the form carries them (a form shown before they existed does not).
SHOWN = "shown|"
SHOWS = "shown-form"
# The prefix of the checkbox beside a prefilled answer that says the clinician assessed it now
# and found it unchanged: saved as today's finding, which clears a "dated" warning the cards gave.
CONFIRMED = "confirmed|"
# The button that adds a level to the form instead of saving it, and the level it adds: a
# metastasis coded without its level, or compression an MRI reports where the record places no
# metastasis, is recorded at a level the form would otherwise never ask about.
ADD, ADD_LEVEL = "add", "add-level"


class ChangedUnderForm(InputError):
    """Answers left as the form showed them, ticked "assessed now, unchanged" or not, whose
    finding the record no longer holds as shown (a newer one recorded meanwhile): "unchanged"
    would speak of a value that is not the record's latest, and a save would say the answers
    repeat the record while a colleague's newer finding went unseen. ``fields`` are the form's
    fields with those answers as the record has them now, unticked, to show the form again with
    every other entry kept."""

    def __init__(self, said: Sequence[str], fields: Mapping[str, str]) -> None:
        super().__init__(
            "the record changed since the form was shown: " + "; ".join(said) + ". Check "
            "these answers, tick again what is still unchanged, and save again"
        )
        self.fields = dict(fields)


def _answers(items: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["linkId"]: i["answer"][0] for i in items if i.get("answer")}


def _recorded(answer: Mapping[str, Any] | None) -> str:
    for ext in (answer or {}).get("extension", ()):
        if ext.get("url") == RECORDED_AT:
            when = ext.get("valueDateTime")
            shown = _day(when) if isinstance(when, str) else "no recorded time"
            return f' <span class="muted">(in the record, {escape(shown)})</span>'
    return ""


def _day(when: str) -> str:
    from datetime import date

    try:
        day = date.fromisoformat(when[:10])
    except ValueError:
        return when
    return day_text(day)


def _as_posted(answer: Mapping[str, Any]) -> str:
    """An answer as the form posts it: its code, or its whole number."""
    if "valueInteger" in answer:
        return str(answer["valueInteger"])
    return str(answer.get("valueCoding", {}).get("code", ""))


def _shown_field(
    name: str, answer: Mapping[str, Any] | None, shown_as: Mapping[str, str] | None = None
) -> str:
    """What the form showed from the record, posted back beside the answer: an answer left as
    it was shown repeats the record only if the record still has it at the save. ``shown_as``:
    what a form shown again (a level added) first showed, whatever the answer is now."""
    if shown_as is not None and name in shown_as:
        value = shown_as[name]
    elif answer is None or not is_prefilled(answer):
        return ""
    else:
        value = _as_posted(answer)
    return f'<input type="hidden" name="{escape(SHOWN + name)}" value="{escape(value)}">'


def _confirm_field(
    name: str, answer: Mapping[str, Any] | None, question: str = "", ticked: bool = False
) -> str:
    """Beside an answer from the record: "assessed now, unchanged", unticked unless ``ticked``
    (a form shown again with the clinician's entries); ``question`` the id of the element naming
    the question, where no fieldset's legend does."""
    if answer is None or not is_prefilled(answer):
        return ""
    described = f' aria-describedby="{escape(question)}"' if question else ""
    checked = " checked" if ticked else ""
    return (
        f'<label class="confirm"><input type="checkbox" name="{escape(CONFIRMED + name)}" '
        f'value="1"{described}{checked}> assessed now, unchanged: save as today\'s finding</label>'
    )


def _reported(report: str | None) -> str:
    """A preliminary report the record holds for the question, which the form cannot prefill: an
    answer here replaces it (contract §2), so it is said beside the question."""
    if report is None:
        return ""
    return (
        f' <span class="report">(a preliminary report in the record: {escape(report)} — an '
        "answer here replaces it)</span>"
    )


def _question(
    question: Mapping[str, Any],
    prefix: str,
    answer: Mapping[str, Any] | None,
    report: str | None = None,
    ticked: Collection[str] = (),
    shown_as: Mapping[str, str] | None = None,
    focus: bool = False,
) -> str:
    name = f"{prefix}|{question['linkId']}"
    autofocus = " autofocus" if focus else ""
    ident = name.replace("|", "-")
    title = escape(question["text"])
    if question["type"] == "integer":
        value = answer.get("valueInteger", "") if answer else ""
        least = next(
            (e["valueInteger"] for e in question.get("extension", ()) if e["url"] == MIN_VALUE), 0
        )
        return (
            f'<p class="q"><label for="{ident}" id="{ident}-q">{title}</label>'
            f"{_recorded(answer)}{_reported(report)}<br>"
            f'<input type="number" min="{least}" step="1" id="{ident}" '
            f'name="{escape(name)}"{autofocus} '
            f'value="{value}">{_shown_field(name, answer, shown_as)}'
            f"{_confirm_field(name, answer, f'{ident}-q', name in ticked)}</p>"
        )
    chosen = (answer or {}).get("valueCoding", {}).get("code")
    options = [
        (o["valueCoding"]["code"], o["valueCoding"]["display"]) for o in question["answerOption"]
    ]
    rows = []
    for n, (code, display) in enumerate([("", "not known"), *options]):
        checked = " checked" if code == (chosen or "") else ""
        focused = autofocus if checked else ""
        rows.append(
            f'<label class="opt"><input type="radio" name="{escape(name)}" id="{ident}-{n}" '
            f'value="{escape(code)}"{checked}{focused}> {escape(display)}</label>'
        )
    return (
        f'<fieldset class="q" data-question="{escape(name)}"><legend>{title}'
        f"{_recorded(answer)}{_reported(report)}</legend>{''.join(rows)}"
        f"{_shown_field(name, answer, shown_as)}"
        f"{_confirm_field(name, answer, ticked=name in ticked)}</fieldset>"
    )


def _group(
    group: Mapping[str, Any],
    answered: Mapping[str, Any],
    reports: Reports,
    ticked: Collection[str] = (),
    shown_as: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> str:
    items = answered.get("item", ())
    level = _answers(items)[LEVEL_ITEM]["valueCoding"]
    by_link = _answers(items)
    parts = [
        f'<fieldset class="level" id="level-{escape(level["code"])}"><legend>Level '
        f"{escape(level.get('display') or level['code'])}</legend>"
        f'<input type="hidden" name="level" value="{escape(level["code"])}">'
    ]
    for question in group["item"][1:]:
        if question.get("readOnly"):
            value = by_link.get(question["linkId"], {})
            shown = value.get("valueString", value.get("valueInteger", "–"))
            parts.append(
                f'<p class="calc">{escape(question["text"])}: <strong '
                f'data-calculated="{escape(level["code"])}-{escape(question["linkId"])}">'
                f"{escape(str(shown))}</strong></p>"
            )
        else:
            link = question["linkId"]
            report = reports.get((level["code"], link))
            answer = by_link.get(link)
            first = focus == level["code"]
            parts.append(
                _question(question, level["code"], answer, report, ticked, shown_as, first)
            )
            focus = None  # the level's first question only
    parts.append("</fieldset>")
    return "".join(parts)


def form_html(
    name: str,
    populated: Mapping[str, Any],
    csrf: str,
    root: str = "/smart",
    reports: Reports | None = None,
    *,
    ticked: Collection[str] = (),
    shown_as: Mapping[str, str] | None = None,
    addable: Collection[str] | None = None,
    places: Sequence[str] = (),
    unsaved: str | None = None,
    focus: str | None = None,
) -> str:
    """The form ``name`` prefilled with ``populated`` (a ``$populate`` response, or the entries
    of a form shown again with ``ticked`` its answers ticked "assessed now, unchanged" and
    ``shown_as`` what it first showed of each), with the preliminary ``reports`` an answer would
    replace beside their questions. ``addable``: the levels that may be added to it (None: any it
    asks about); ``places``: the levels where a finding places a bone metastasis recorded without
    its level; ``unsaved``: why the form cannot be saved (the granted scopes), said before its
    questions; ``focus``: the level whose first question takes the focus (one just added)."""
    reports = reports or {}
    q = questionnaire(name)
    items = populated.get("item", ())
    whole = _answers(items)
    parts = [
        f'<form method="post" action="{escape(root)}/form/{escape(name)}" class="form" '
        f'aria-label="{escape(q["title"])}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="{SHOWS}" value="1">'
    ]
    if unsaved:
        parts.append(f'<p class="notice error">{escape(unsaved)}</p>')
    groups = [i for i in items if i["linkId"] == LEVEL_GROUP]
    picker = ""
    for question in q["item"]:
        if question["linkId"] != LEVEL_GROUP:
            link = question["linkId"]
            report = reports.get((None, link))
            parts.append(_question(question, WHOLE, whole.get(link), report, ticked, shown_as))
            continue
        shown = {_level_of(g) for g in groups}
        offered = [
            c for c in _level_codings(question)
            if c["code"] not in shown and (addable is None or c["code"] in addable)
        ]  # fmt: skip
        picker = _picker(offered, name, places) if offered else ""
        if groups:
            parts += [_group(question, g, reports, ticked, shown_as, focus) for g in groups]
        elif picker:
            parts.append(
                "<p>No spinal level with a metastasis in the record. Add the level below to "
                "record its findings.</p>"
            )
        else:
            parts.append("<p>No spinal level with a metastasis in the record: nothing to ask.</p>")
    # Saving comes first: the button Enter presses in a field is the form's first.
    parts.append(f'<p><button type="submit">Save to the record</button></p>{picker}</form>')
    return "".join(parts)


def _level_codings(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The levels a form asks about, in spine order: its level question's answers (SINS
    scores no coccyx, so its form offers none)."""
    return [o["valueCoding"] for o in group["item"][0]["answerOption"]]


def _picker(offered: Sequence[Mapping[str, Any]], name: str, places: Sequence[str]) -> str:
    """A level to add to the form, with the entries kept: nothing is saved by adding one."""
    options = "".join(
        f'<option value="{escape(c["code"])}">{escape(c.get("display") or c["code"])}</option>'
        for c in offered
    )
    if name == "sins":
        why = (
            "The record holds a bone metastasis without its level. SINS findings recorded at a "
            "level place it there, and that level is then scored from them."
        )
    else:
        why = "A level where the record places no metastasis, to record findings at it."
        if places:
            where = (
                "at any level" if len(places) == len(LEVELS) else f"at {level_runs(list(places))}"
            )
            why += (
                f" A finding saved {where} also places the bone metastasis the record holds "
                "without its level there."
            )
    return (
        '<fieldset class="add-level"><legend>Another level</legend>'
        f'<p id="add-level-hint">{escape(why)} Its questions join the form; your entries are '
        "kept; nothing is saved until you save.</p>"
        f'<label for="add-level">Level</label> <select id="add-level" name="{ADD_LEVEL}" '
        f'aria-describedby="add-level-hint"><option value="">choose a level</option>{options}'
        f'</select> <button type="submit" name="{ADD}" value="level" formnovalidate>'
        "Add the level</button></fieldset>"
    )


def added_level(name: str, fields: Mapping[str, str], addable: Collection[str] | None) -> str:
    """The level the form's "Add the level" asks for; InputError when none is chosen, the form
    does not ask about it, or it is not among ``addable`` (None: any it asks about)."""
    level = fields.get(ADD_LEVEL, "").strip()
    if not level:
        raise InputError("no level was chosen")
    group = next((i for i in questionnaire(name)["item"] if i["linkId"] == LEVEL_GROUP), None)
    if group is None or not any(c["code"] == level for c in _level_codings(group)):
        raise InputError(f"level {level[:10]!r}: not a level this form asks about")
    if addable is not None and level not in addable:
        raise InputError(
            f"findings at {level} would not be used: the record places every bone metastasis "
            "at its level, and a finding where no metastasis is recorded is reported, not scored"
        )
    return level


def _value(question: Mapping[str, Any], raw: str) -> dict[str, Any] | None:
    if raw.strip() == "":
        return None
    if question["type"] == "integer":
        if not raw.strip().isdigit():
            raise InputError(f"{question['text']}: a whole number is needed")
        return {"valueInteger": int(raw)}  # its minimum is $extract's to check (one place)
    for option in question["answerOption"]:
        if option["valueCoding"]["code"] == raw:
            return {"valueCoding": dict(option["valueCoding"])}
    raise InputError(f"{question['text']}: {raw[:40]!r} is not one of its answers")


Shown = Mapping[tuple[str, str], Mapping[str, Any]]  # (level or WHOLE, linkId) → prefilled answer


class _Unknown:
    """What a form shown before it said what it showed (no :data:`SHOWS` field) showed."""


UNKNOWN = _Unknown()


def _then(fields: Mapping[str, str], name: str) -> str | _Unknown | None:
    return fields.get(SHOWN + name) if SHOWS in fields else UNKNOWN


def _shown(prefilled: Mapping[str, Any] | None) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The answers the form was prefilled with, by where they stand in it."""
    items = (prefilled or {}).get("item", ())
    shown: dict[tuple[str, str], Mapping[str, Any]] = {
        (WHOLE, k): v for k, v in _answers(items).items()
    }
    for group in (i for i in items if i["linkId"] == LEVEL_GROUP):
        answers = _answers(group.get("item", ()))
        level = answers[LEVEL_ITEM]["valueCoding"]["code"]
        shown |= {(level, k): v for k, v in answers.items() if k != LEVEL_ITEM}
    return shown


def _answered(
    question: Mapping[str, Any],
    raw: str | None,
    shown: Mapping[str, Any] | None = None,
    then: str | _Unknown | None = UNKNOWN,
    confirmed: bool = False,
) -> list[dict[str, Any]]:
    """The answer given; one left as prefilled keeps the mark of the finding it repeats (not a
    new assessment), one the clinician changed is new and unmarked. ``shown`` is what the record
    has at the save; ``then`` what the form showed (None: nothing), when the form says it. An
    answer left as the form showed it whose finding the record no longer has as shown (a newer
    one recorded meanwhile, or it was withdrawn) was assessed by nobody now: it is left out, and
    the record's finding stands (a save refuses such a form first, naming the change). One the
    clinician ``confirmed`` as assessed now is new, unless the record no longer holds what the
    form showed ("unchanged" would then speak of a value that is not the record's latest):
    refused, so that the clinician reviews it."""
    value = _value(question, raw or "")
    as_shown = {k: v for k, v in (shown or {}).items() if k != "extension"}
    repeats = value is not None and shown is not None and is_prefilled(shown) and value == as_shown
    # The checkbox stands beside a prefilled answer only: a form that showed none (or an older
    # form that does not say what it showed) offered nothing to confirm. response_from has
    # refused the ticks whose finding the record no longer holds as shown.
    if confirmed and isinstance(then, str) and value is not None:
        repeats = False
    elif not isinstance(then, _Unknown):
        untouched = then is not None and (raw or "").strip() == then
        if untouched and not repeats:
            return []
        repeats = repeats and untouched
    if value and repeats and shown is not None:
        value["extension"] = list(shown["extension"])
    return (
        [{"linkId": question["linkId"], "text": question["text"], "answer": [value]}]
        if value
        else []
    )


def _level_item(
    group: Mapping[str, Any], level: str, fields: Mapping[str, str], shown: Shown
) -> dict[str, Any]:
    first, *questions = group["item"]
    coding = next((o["valueCoding"] for o in first["answerOption"]
                   if o["valueCoding"]["code"] == level), None)  # fmt: skip
    if coding is None or coding.get("system") != VERTEBRA:
        raise InputError(f"level {level[:10]!r}: not a level this form asks about")
    items = [
        {"linkId": LEVEL_ITEM, "text": first["text"], "answer": [{"valueCoding": dict(coding)}]}
    ]
    for question in questions:
        if not question.get("readOnly"):
            name = f"{level}|{question['linkId']}"
            found = shown.get((level, question["linkId"]))
            confirmed = CONFIRMED + name in fields
            items += _answered(question, fields.get(name), found, _then(fields, name), confirmed)
    answers = {"linkId": LEVEL_GROUP, "text": group["text"], "item": items}
    calculate(group, answers, {})
    order = [q["linkId"] for q in group["item"]]
    answers["item"].sort(key=lambda i: order.index(i["linkId"]))
    return answers


def has_answer(name: str, response: Mapping[str, Any]) -> bool:
    """Whether a form's response holds an answer: a question about the patient, or one at a
    level (a level group holding only its level and what the form calculates holds none)."""
    q = questionnaire(name)
    group = next((i for i in q["item"] if i["linkId"] == LEVEL_GROUP), None)
    for item in response.get("item", ()):
        if item["linkId"] != LEVEL_GROUP or (group is not None and _answered_in(item, group)):
            return True
    return False


def _level_of(group: Mapping[str, Any]) -> str:
    code: str = _answers(group.get("item", ()))[LEVEL_ITEM]["valueCoding"]["code"]
    return code


def _levels_of(response: Mapping[str, Any] | None) -> list[str]:
    return [_level_of(i) for i in (response or {}).get("item", ()) if i["linkId"] == LEVEL_GROUP]


def _answered_in(group: Mapping[str, Any], question: Mapping[str, Any]) -> bool:
    """Whether a level group holds an answer of the clinician's (not only its level and what
    the form calculates: the items the Questionnaire marks read-only)."""
    kept = {i["linkId"] for i in question["item"][1:] if not i.get("readOnly")}
    return any(i["linkId"] in kept for i in group.get("item", ()))


def _holds(answer: Mapping[str, Any] | None) -> str:
    """What the record holds for a question, as the form shows it: "non-mechanical, 31 May
    2024"; or that it holds no one answer the form can show."""
    if answer is None or not is_prefilled(answer):
        # $populate leaves a question open when nothing answers it, when findings disagree, or
        # when a newer preliminary report may say worse: the scores page says which.
        return "no single answer: none, findings that disagree, or a newer preliminary report"
    coding = answer.get("valueCoding")
    value = coding.get("display") or coding.get("code") if coding else answer.get("valueInteger")
    when = next((e.get("valueDateTime") for e in answer.get("extension", ())
                 if e.get("url") == RECORDED_AT), None)  # fmt: skip
    return f"{value}, {_day(when)}" if isinstance(when, str) else f"{value}, no recorded time"


def _refreshed(
    q: Mapping[str, Any], fields: Mapping[str, str], levels: Sequence[str], shown: Shown
) -> tuple[list[str], dict[str, str]]:
    """The fields with every answer left as shown that the record no longer holds as shown set
    to what it holds now (its tick dropped), each change named. The clinician's own answers
    stay."""
    asked = [(WHOLE, i) for i in q["item"] if i["linkId"] != LEVEL_GROUP]
    for group in (i for i in q["item"] if i["linkId"] == LEVEL_GROUP):
        asked += [(level, i) for level in levels for i in group["item"][1:]]
    said, refreshed = [], dict(fields)
    for where, question in asked:
        name = f"{where}|{question['linkId']}"
        then = _then(fields, name)
        if not isinstance(then, str) or (fields.get(name) or "").strip() != then:
            continue  # nothing shown, or the clinician's own answer: new, tick or not
        now = shown.get((where, question["linkId"]))
        current = _as_posted(now) if now is not None and is_prefilled(now) else ""
        if current == then:
            continue
        at = f" at {where}" if where != WHOLE else ""
        said.append(f"{question['text']}{at} (the record now has {_holds(now)})")
        refreshed |= {name: current, SHOWN + name: current}
        refreshed.pop(CONFIRMED + name, None)
    return said, refreshed


def _refuse_changed_under(
    q: Mapping[str, Any], fields: Mapping[str, str], levels: Sequence[str], shown: Shown
) -> None:
    """ChangedUnderForm when an answer left as shown, ticked "assessed now, unchanged" or not, is
    no longer what the record holds. The form then comes back with every answer left as shown as
    the record has it now (each change named) and the clinician's own answers kept: nothing is
    saved over, or beside, a finding the clinician has not seen."""
    said, refreshed = _refreshed(q, fields, levels, shown)
    if said:  # the form comes back unticked: every answer left as shown is the record's again
        refreshed = {k: v for k, v in refreshed.items() if not k.startswith(CONFIRMED)}
        raise ChangedUnderForm(said, refreshed)


@dataclass(frozen=True, slots=True)
class Kept:
    """A form's entries to show again, nothing saved: the response they make, the answers ticked
    "assessed now, unchanged" (kept as ticks), and what the record changed under the form."""

    response: dict[str, Any]
    ticked: frozenset[str]
    changed: tuple[str, ...]
    shown: dict[str, str]  # what the form first showed of each answer (refreshed: the record's)


def kept_entries(
    name: str, fields: Mapping[str, str], levels: Sequence[str], *, patient: str, authored: str,
    prefilled: Mapping[str, Any],
) -> Kept:  # fmt: skip
    """The entries of a submitted form to show it again with ``levels``: every answer left as
    shown as the record has it now (each change named, its tick dropped), the clinician's own
    answers and the other ticks as posted; InputError for an answer the form cannot take."""
    q, shown = questionnaire(name), _shown(prefilled)
    said, refreshed = _refreshed(q, fields, levels, shown)
    ticked = frozenset(k[len(CONFIRMED) :] for k in refreshed if k.startswith(CONFIRMED))
    plain = {k: v for k, v in refreshed.items() if not k.startswith(CONFIRMED)}
    response = response_from(
        name, plain, levels, patient=patient, authored=authored, author=None,
        prefilled=prefilled, keep_empty=True,
    )  # fmt: skip
    shown_as = {k[len(SHOWN) :]: v for k, v in refreshed.items() if k.startswith(SHOWN)}
    return Kept(response, ticked, tuple(said), shown_as)


def response_from(
    name: str, fields: Mapping[str, str], levels: Sequence[str], *, patient: str, authored: str,
    author: str | None, prefilled: Mapping[str, Any] | None = None, keep_empty: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The completed QuestionnaireResponse of a submitted form; InputError naming the question
    (ChangedUnderForm for ticks the record changed under). ``prefilled`` is the ``$populate``
    response of the record at the save: an answer left as the form showed it keeps its
    answer-recorded mark, so it is not extracted as a new finding. A level added to the form
    (not among ``prefilled``'s) with no answer is left out, unless ``keep_empty``: nothing was
    assessed there."""
    form, q = form_named(name), questionnaire(name)
    shown = _shown(prefilled)
    _refuse_changed_under(q, fields, levels, shown)
    items: list[dict[str, Any]] = []
    for question in q["item"]:
        link = question["linkId"]
        if link != LEVEL_GROUP:
            name = f"{WHOLE}|{link}"
            items += _answered(
                question,
                fields.get(name),
                shown.get((WHOLE, link)),
                _then(fields, name),
                CONFIRMED + name in fields,
            )
            continue
        if len(set(levels)) != len(levels):
            raise InputError("a level appears twice in the form")
        asked = {lv for lv, _ in shown} | set(_levels_of(prefilled))
        groups = [_level_item(question, level, fields, shown) for level in levels]
        items += [
            g for g in groups if keep_empty or _answered_in(g, question) or _level_of(g) in asked
        ]
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url(form.name)}|{q['version']}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "authored": authored,
    }
    if author:
        response["author"] = {"reference": author}
    if items:
        response["item"] = items
    return response
