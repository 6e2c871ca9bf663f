"""What the app shows and saves for one session's patient: the record read with the user's token,
scored as ``spinemets score`` scores it, and a submitted form written back."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapter.decision import Decisions, decide
from adapter.errors import FhirServerError
from adapter.fhir.read.source import PatientData
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import PatientResult, Scoring, now_time, patient_records, score_patient
from adapter.procedure.orders import decompressed_levels, procedure_orders
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import populate, populate_with_reports
from adapter.smart.form import Kept, form_html, kept_entries, response_from
from adapter.smart.identity import author_of
from adapter.smart.page import app_page
from adapter.smart.record import ReadLimits, missing_writes, read_record, write_transaction
from adapter.smart.sessions import Session

__all__ = ["View", "addable_levels", "completed", "kept", "save", "saved_message", "show"]


@dataclass(frozen=True, slots=True)
class View:
    patient: Mapping[str, Any]
    data: PatientData
    result: PatientResult
    rules: Rules

    @classmethod
    async def read(cls, session: Session, limits: ReadLimits, rules: Rules) -> View:
        """The session's patient, scored by ``rules`` (the service's settings, as its cards)."""
        resources = await read_record(session, limits)
        return await asyncio.to_thread(cls._scored, session, resources, rules)

    @classmethod
    def _scored(cls, session: Session, resources: list[Any], rules: Rules) -> View:
        assert session.patient is not None
        patient = resources[0]
        if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
            raise FhirServerError("the FHIR server did not answer with the Patient")
        data = patient_records(resources, session.patient) or PatientData(session.patient)
        scoring = Scoring(rules=rules)
        result = score_patient(data, default_terminology(), now=now_time(), scoring=scoring)
        return cls(patient, data, result, rules)

    def decisions(self) -> Decisions:
        """The decisions the static page and the cards show (the record's spine orders too)."""
        term = default_terminology()
        orders = procedure_orders(self.data.orders, None, "order-sign", term)
        return decide(self.result, orders, self.rules, decompressed_levels(self.data.orders, term))


def show(
    view: View,
    session: Session,
    form: str | None,
    message: str | None = None,
    root: str = "/smart",
    *,
    entries: Mapping[str, Any] | None = None,
    error: bool | None = None,
    ticked: Collection[str] = (),
    shown_as: Mapping[str, str] | None = None,
    focus: str | None = None,
) -> str:
    """The page, or a form prefilled from the record by ``$populate``; ``entries`` (a response
    that was not saved, ``ticked`` its answers ticked "assessed now, unchanged") fill the form
    instead, and ``message`` then says why: an error unless ``error`` says otherwise (a level
    added to the form)."""
    html = ""
    if form is not None:
        term, now = default_terminology(), view.result.now
        prefilled, reports = populate_with_reports(form, view.data, term, now, rules=view.rules)
        open_levels = view.result.assessment.open_levels
        missing = missing_writes(session.scope)
        unsaved = (
            f"This form cannot be saved with the access granted (missing {', '.join(missing)}):"
            " record these findings in the EHR, or launch the app again with write access."
            if missing
            else None
        )
        html = form_html(
            form, entries or prefilled, session.csrf, root, reports, ticked=ticked,
            shown_as=shown_as, addable=addable_levels(view, form), places=open_levels,
            unsaved=unsaved, focus=focus,
        )  # fmt: skip
    return app_page(
        view.decisions(),
        form=form,
        form_html=html,
        message=message,
        error=entries is not None if error is None else error,
        root=root,
    )


def addable_levels(view: View, form: str) -> tuple[str, ...] | None:
    """The levels a form may add: on the SINS form only where a bone metastasis recorded without
    its level may be (a SINS finding elsewhere is not used, contract §2); on the others any
    level they ask about (a Bilsky grade is read wherever it is)."""
    return view.result.assessment.open_levels if form == "sins" else None


def kept(
    view: View, session: Session, name: str, fields: Mapping[str, str], levels: Sequence[str]
) -> Kept:
    """A submitted form's entries to show again with ``levels``, nothing saved (kept_entries)."""
    assert session.patient is not None
    shown = populate(name, view.data, default_terminology(), view.result.now, rules=view.rules)
    return kept_entries(
        name, fields, levels, patient=session.patient, authored=now_time().text, prefilled=shown
    )


def completed(
    view: View, session: Session, name: str, fields: Mapping[str, str], levels: Sequence[str]
) -> dict[str, Any]:
    """The submitted form as a QuestionnaireResponse (InputError naming the question); the
    signed-in user, when known, is its author and so the findings' performer. The form is
    prefilled again from the record read for the save, so an answer left as the record has it
    keeps the mark of the finding it repeats."""
    assert session.patient is not None
    shown = populate(name, view.data, default_terminology(), view.result.now, rules=view.rules)
    return response_from(
        name,
        fields,
        levels,
        patient=session.patient,
        authored=now_time().text,
        author=author_of(session.user),
        prefilled=shown,
    )


async def save(session: Session, response: Mapping[str, Any], timeout: float) -> list[str]:
    """The response and the Observations extracted from it, in one transaction; the references
    the FHIR server gave what it wrote."""
    bundle = await asyncio.to_thread(extract, response, default_terminology())
    return await write_transaction(session, bundle, timeout)


def _sins(result: PatientResult, level: str) -> str | None:
    found = result.level(level)
    if found is None:
        return None
    total = found.result.total
    text = str(total.low) if total.low == total.high else f"{total.low}–{total.high}"
    band = found.result.band.label if found.result.band is not None else None
    return f"{text}, {band}" if band else text


def saved_message(
    before: View, after: View, levels: Sequence[str], written: Sequence[str] = ()
) -> str:
    """What the save changed, in words: each level's SINS, then and now; and, when no finding
    was written (every answer repeats the record's), that nothing new was recorded — the scores
    rest on the record's findings, dated as they were."""
    if written and not any(ref.startswith("Observation/") for ref in written):
        return (
            "Saved: no new finding was recorded — every answer repeats what the record has, "
            "so the scores below still rest on the record's findings, with their dates."
        )
    changes = []
    for level in levels:
        old, new = _sins(before.result, level), _sins(after.result, level)
        if new is not None:
            changes.append(
                f"SINS at {level} is now {new}"
                + (" (not scored before)" if old is None else f" (was {old})" if old != new else "")
            )
    return "Saved to the record. " + (
        "; ".join(changes) + "." if changes else "The scores below are recomputed."
    )
