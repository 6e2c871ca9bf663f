"""The app scores a patient and prefills its forms by the rules of its settings, as the service's
cards do (the one settings model), never by the defaults."""

from __future__ import annotations

import asyncio

from adapter.smart.routes import SmartState
from adapter.smart.sessions import Session
from adapter.smart.settings import SmartSettings
from adapter.smart.view import View, show
from tests.support.forms import populate_rules
from tests.support.records import default_patient

WINDOWS = ("performance", "palsy", "sins", "compression", "labs", "staging", "albumin")


def _view(state: SmartState, monkeypatch) -> tuple[View, Session]:
    async def record(session, limits):
        assert limits is state.limits
        return default_patient()

    monkeypatch.setattr("adapter.smart.view.read_record", record)
    session = Session("s", expires=0.0, patient="p")
    return asyncio.run(View.read(session, state.limits, state.rules)), session


def _dated(view: View) -> bool:
    return any(b.dated for lv in view.result.levels for b in lv.bases.values())


def test_the_view_scores_and_prefills_by_the_settings_rules(monkeypatch):
    default, _ = _view(SmartState(SmartSettings()), monkeypatch)
    assert _dated(default)  # the default patient's findings are from 2024
    longer = {f"window_{kind}_days": 3650 for kind in WINDOWS}
    state = SmartState(SmartSettings.model_validate(longer))
    view, session = _view(state, monkeypatch)
    assert state.rules.windows.sins == 3650 and not _dated(view)
    used = populate_rules(monkeypatch)
    show(view, session, "sins")
    assert used == [state.rules]


def test_the_record_is_read_within_the_service_s_fallback_limits():
    settings = SmartSettings.model_validate(
        {"fhir_deadline": 12, "fhir_max_bytes": 2048, "smart_timeout": 4}
    )
    limits = SmartState(settings).limits
    assert (limits.timeout, limits.deadline, limits.max_bytes) == (4, 12, 2048)
