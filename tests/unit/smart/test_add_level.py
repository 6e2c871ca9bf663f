"""A level the record places no metastasis at can be added to a form (contract §7: the product
brings the means to record what the EHR lacks). Real records often hold a bone metastasis coded
without its level: the SINS card then asks for the level or the findings at it, and the form must
let the clinician name that level rather than say there is nothing to ask."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.records import condition, default_patient, finding
from tests.support.smart_app import posted_fields, serving

pytestmark = pytest.mark.anyio

SINS_FINDINGS = {
    "spinal-pain": "mechanical",
    "bone-lesion-quality": "lytic",
    "spinal-alignment": "normal",
    "vertebral-body-collapse": "gt-50",
    "posterolateral-involvement": "none",
}


def _unplaced() -> list[dict[str, Any]]:
    """The default patient with its bone metastasis coded without a level, and no finding at T12."""
    at_t12 = tuple(f"t12-{code}" for code in SINS_FINDINGS)
    record = default_patient(drop=("met-t12", "bilsky-t12", *at_t12))
    return [*record, condition("met", "C79.51")]


def _options(page: str) -> list[str]:
    picker = re.search(r'<select id="add-level" name="add-level"[^>]*>(.*?)</select>', page, re.S)
    assert picker is not None, "no level picker on the form"
    return re.findall(r'<option value="([^"]*)"', picker.group(1))


async def _add(client: Any, session: Any, form: str, level: str, fields: dict[str, str]) -> Any:
    """Press "Add the level" on ``form`` (T12 in it) with ``level`` chosen and ``fields`` posted."""
    data = {**fields, "csrf": session.csrf, "level": "T12", "add": "level", "add-level": level}
    return await client.post(f"/smart/form/{form}", data=data)


def _levels(page: str) -> list[str]:
    return re.findall(r'<fieldset class="level" id="level-([^"]+)"', page)


async def test_a_metastasis_at_no_level_is_scored_at_the_level_the_form_adds(monkeypatch):
    client, session, fhir = await serving(monkeypatch, _unplaced())
    shown = (await client.get("/smart/form/sins")).text
    assert _levels(shown) == []
    assert {"T8", "L1", "S1"} <= set(_options(shown)) and "coccyx" not in _options(shown)

    added = await client.post(
        "/smart/form/sins", data={"csrf": session.csrf, "add": "level", "add-level": "T8"}
    )
    assert added.status_code == 200 and fhir.written == []
    assert _levels(added.text) == ["T8"] and "T8" not in _options(added.text)
    assert 'name="T8|spinal-pain"' in added.text

    answers = {f"T8|{code}": answer for code, answer in SINS_FINDINGS.items()}
    saved = await client.post(
        "/smart/form/sins", data={"csrf": session.csrf, "level": "T8", **answers}
    )
    assert saved.status_code == 200
    [bundle] = fhir.written
    sites = {
        entry["resource"]["bodySite"]["coding"][0]["code"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
    }
    assert sites == {"T8"}
    # Read back, T8 is scored from its findings: semi-rigid spine (T3–T10) 1, mechanical pain 3,
    # lytic 2, alignment 0, collapse over 50 % 3, posterolateral 0: 9.
    assert "SINS at T8 is now 9" in saved.text
    assert "level not recorded" not in (await client.get("/smart/")).text.lower()


async def test_a_level_added_keeps_the_answers_already_entered(monkeypatch):
    client, session, fhir = await serving(monkeypatch, default_patient())
    shown = (await client.get("/smart/form/neurology")).text
    assert _levels(shown) == ["T12"] and "T12" not in _options(shown)
    posted = posted_fields(shown) | {"patient|frankel-grade": "frankel-d"}
    added = await _add(client, session, "neurology", "L1", posted)
    assert added.status_code == 200 and fhir.written == []
    assert _levels(added.text) == ["T12", "L1"]
    assert re.search(
        r'name="patient\|frankel-grade" id="[^"]+" value="frankel-d" checked', added.text
    )


async def test_bilsky_is_recorded_at_a_level_the_neurology_form_adds(monkeypatch):
    """An MRI reports compression at L2, where the record places no metastasis."""
    client, session, fhir = await serving(monkeypatch, default_patient())
    shown = (await client.get("/smart/form/neurology")).text
    assert _levels(shown) == ["T12"] and "L2" in _options(shown)
    posted = posted_fields(shown)
    added = await _add(client, session, "neurology", "L2", posted)
    assert _levels(added.text) == ["T12", "L2"]
    saved = await client.post(
        "/smart/form/neurology",
        data={
            **posted_fields(added.text),
            "csrf": session.csrf,
            "level": ["T12", "L2"],
            "L2|epidural-spinal-cord-compression": "bilsky-3",
        },
    )
    assert saved.status_code == 200
    [bundle] = fhir.written
    [grade] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert grade["bodySite"]["coding"][0]["code"] == "L2"
    page = (await client.get("/smart/")).text
    assert "Bilsky 2–3 at L2" in page


@pytest.mark.parametrize(
    ("form", "level", "says"),
    [
        ("sins", "X9", "&#x27;X9&#x27;: not a level this form asks about"),
        (
            "sins",
            "coccyx",
            "&#x27;coccyx&#x27;: not a level this form asks about",
        ),  # SINS scores no coccyx
        ("sins", "<b>T8", "&#x27;&lt;b&gt;T8&#x27;: not a level"),
        ("sins", "", "no level was chosen"),
    ],
)
async def test_a_level_the_form_cannot_take_is_refused_and_nothing_is_written(
    monkeypatch, form, level, says
):
    client, session, fhir = await serving(monkeypatch, _unplaced())
    answer = await client.post(
        f"/smart/form/{form}", data={"csrf": session.csrf, "add": "level", "add-level": level}
    )
    assert answer.status_code == 400 and fhir.written == []
    assert says in answer.text


async def test_adding_a_level_the_form_has_says_so(monkeypatch):
    client, session, fhir = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    again = await _add(client, session, "neurology", "T12", posted)
    assert again.status_code == 200 and fhir.written == []
    assert _levels(again.text) == ["T12"] and "T12 is already in the form" in again.text


async def test_the_level_picker_needs_the_sessions_form_token(monkeypatch):
    client, _, fhir = await serving(monkeypatch, _unplaced())
    answer = await client.post(
        "/smart/form/sins", data={"csrf": "forged", "add": "level", "add-level": "T8"}
    )
    assert answer.status_code == 403 and 'id="level-T8"' not in answer.text
    assert fhir.written == []


# --- entries, ticks and refusals around "Add the level" ------------------------------------------

FRANKEL = "patient|frankel-grade"


def _frankel_c() -> dict[str, Any]:
    return finding("colleague", "frankel-grade", "frankel-c", when="2024-05-31T09:00:00Z")


async def test_a_tick_survives_an_add_and_a_record_changed_under_it_is_still_refused(monkeypatch):
    """Ticked "assessed now, unchanged" beside Frankel E, then a level added: the tick must come
    back as a tick, so that a colleague's Frankel C recorded meanwhile refuses the save."""
    client, session, fhir = await serving(monkeypatch, default_patient())
    shown = (await client.get("/smart/form/neurology")).text
    posted = posted_fields(shown) | {f"confirmed|{FRANKEL}": "1"}
    added = await _add(client, session, "neurology", "L2", posted)
    assert added.status_code == 200
    assert re.search(rf'name="confirmed\|{re.escape(FRANKEL)}" value="1"[^>]* checked', added.text)
    again = posted_fields(added.text) | {f"confirmed|{FRANKEL}": "1"}
    assert again[f"shown|{FRANKEL}"] == "frankel-e"
    fhir.record.append(_frankel_c())  # a colleague records Frankel C
    saved = await client.post(
        "/smart/form/neurology", data={**again, "csrf": session.csrf, "level": ["T12", "L2"]}
    )
    assert saved.status_code == 400 and fhir.written == []
    assert "the record now has Frankel C" in saved.text


async def test_an_add_with_no_level_chosen_keeps_the_entries(monkeypatch):
    client, session, fhir = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    answer = await _add(client, session, "neurology", "", posted | {FRANKEL: "frankel-c"})
    assert answer.status_code == 400 and fhir.written == []
    assert 'role="alert"' in answer.text and "no level was chosen" in answer.text
    assert re.search(
        rf'name="{re.escape(FRANKEL)}" id="[^"]+" value="frankel-c" checked', answer.text
    )
    assert _levels(answer.text) == ["T12"]


async def test_an_untouched_answer_the_record_changed_under_comes_back_as_the_record_has_it(
    monkeypatch,
):
    client, session, fhir = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    fhir.record.append(_frankel_c())
    added = await _add(client, session, "neurology", "L2", posted)
    assert _levels(added.text) == ["T12", "L2"] and fhir.written == []
    assert re.search(
        rf'name="{re.escape(FRANKEL)}" id="[^"]+" value="frankel-c" checked', added.text
    )
    assert 'role="alert"' in added.text and "the record now has Frankel C" in added.text


async def test_the_sins_form_offers_no_level_where_findings_would_not_be_used(monkeypatch):
    """Every bone metastasis has its level: SINS findings at another level are reported and
    not used (contract §2), so the SINS form offers none; the neurology form still does (a
    Bilsky grade anywhere is read)."""
    client, session, fhir = await serving(monkeypatch, default_patient())
    assert 'id="add-level"' not in (await client.get("/smart/form/sins")).text
    assert 'id="add-level"' in (await client.get("/smart/form/neurology")).text
    refused = await client.post(
        "/smart/form/sins",
        data={"csrf": session.csrf, "level": "T12", "add": "level", "add-level": "L1"},
    )
    assert refused.status_code == 400 and fhir.written == []
    assert "would not be used" in refused.text and _levels(refused.text) == ["T12"]


async def test_a_level_added_and_left_empty_writes_no_group(monkeypatch):
    client, session, fhir = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    saved = await client.post(
        "/smart/form/neurology",
        data={**posted, FRANKEL: "frankel-d", "csrf": session.csrf, "level": ["T12", "L2"]},
    )
    assert saved.status_code == 200
    [bundle] = fhir.written
    [response] = [e["resource"] for e in bundle["entry"]
                  if e["resource"]["resourceType"] == "QuestionnaireResponse"]  # fmt: skip
    groups = [i for i in response["item"] if i["linkId"] == "level"]
    assert [g["item"][0]["answer"][0]["valueCoding"]["code"] for g in groups] == ["T12"]


async def test_added_levels_stand_in_spine_order(monkeypatch):
    client, session, _ = await serving(monkeypatch, _unplaced())
    first = await client.post(
        "/smart/form/sins", data={"csrf": session.csrf, "add": "level", "add-level": "L1"}
    )
    second = await client.post(
        "/smart/form/sins",
        data={**posted_fields(first.text), "csrf": session.csrf, "level": "L1", "add": "level",
              "add-level": "T8"},
    )  # fmt: skip
    assert _levels(second.text) == ["T8", "L1"]


async def test_an_add_is_audited_as_a_read(monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr(
        "adapter.smart.routes.record",
        lambda state, session, path, status, action, **kw: seen.append(action),
    )
    client, session, _ = await serving(monkeypatch, _unplaced())
    await client.post(
        "/smart/form/sins", data={"csrf": session.csrf, "add": "level", "add-level": "T8"}
    )
    assert seen[-1] == "R"


async def test_a_save_at_a_level_not_scored_before_never_says_was_none(monkeypatch):
    client, session, _ = await serving(monkeypatch, _unplaced())
    answers = {f"T8|{code}": answer for code, answer in SINS_FINDINGS.items()}
    saved = await client.post(
        "/smart/form/sins", data={"csrf": session.csrf, "level": "T8", **answers}
    )
    assert (
        "SINS at T8 is now 9, potentially unstable (indeterminate) (not scored before)"
        in saved.text
    )
    assert "(was None)" not in saved.text


async def test_a_form_says_when_the_granted_scopes_do_not_allow_saving_it(monkeypatch):
    client, session, _ = await serving(monkeypatch, _unplaced())
    session.scope = "launch openid fhirUser patient/*.rs"
    shown = (await client.get("/smart/form/sins")).text
    assert "This form cannot be saved with the access granted" in shown
    assert "QuestionnaireResponse.c" in shown


async def test_a_save_the_granted_scopes_refuse_keeps_every_entry(monkeypatch):
    """The form warns beforehand; a clinician who fills it anyway gets it back with the entries
    in it (to copy into the EHR, as the warning says), the refusal in an alert, nothing written."""
    client, session, fhir = await serving(monkeypatch, _unplaced())
    session.scope = "launch openid fhirUser patient/*.rs"
    answers = {f"T8|{code}": answer for code, answer in SINS_FINDINGS.items()}
    refused = await client.post(
        "/smart/form/sins", data={"csrf": session.csrf, "level": "T8", **answers}
    )
    assert refused.status_code == 403
    assert 'role="alert"' in refused.text and "granted scopes do not allow" in refused.text
    assert "QuestionnaireResponse.c" in refused.text
    kept = posted_fields(refused.text)
    assert {k: kept.get(k) for k in answers} == answers
    assert fhir.written == []


async def test_an_answer_changed_and_changed_back_around_an_add_still_knows_what_was_shown(
    monkeypatch,
):
    """Frankel E shown; changed to D, a level added, a colleague records Frankel C, changed back
    to E and saved: E is what the form showed, not a new finding to write over C."""
    client, session, fhir = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    added = await _add(client, session, "neurology", "L2", posted | {FRANKEL: "frankel-d"})
    fhir.record.append(_frankel_c())
    back = posted_fields(added.text) | {FRANKEL: "frankel-e"}
    assert back[f"shown|{FRANKEL}"] == "frankel-e"
    await client.post(
        "/smart/form/neurology", data={**back, "csrf": session.csrf, "level": ["T12", "L2"]}
    )
    written = [
        e["resource"]["valueCodeableConcept"]["coding"][0]["code"]
        for bundle in fhir.written
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    assert "frankel-e" not in written


async def test_a_crafted_level_field_in_an_add_is_refused_not_a_server_error(monkeypatch):
    client, session, fhir = await serving(monkeypatch, default_patient())
    answer = await client.post(
        "/smart/form/neurology",
        data={"csrf": session.csrf, "level": "Co1", "add": "level", "add-level": "L2"},
    )
    assert answer.status_code == 400 and fhir.written == []


async def test_once_findings_place_the_metastasis_no_other_level_is_offered_for_it(monkeypatch):
    """The metastasis coded without a level is placed at T8 by its findings: the SINS form and
    the card no longer ask for its level (another level would score one lesion twice)."""
    at_t8 = [finding(f"t8-{c}", c, a, level="T8") for c, a in SINS_FINDINGS.items()]
    client, _, _ = await serving(monkeypatch, [*_unplaced(), *at_t8])
    shown = (await client.get("/smart/form/sins")).text
    assert _levels(shown) == ["T8"] and 'id="add-level"' not in shown


async def test_a_form_saved_with_no_answer_writes_nothing(monkeypatch):
    client, session, fhir = await serving(monkeypatch, _unplaced())
    saved = await client.post("/smart/form/sins", data={"csrf": session.csrf})
    assert saved.status_code == 400 and fhir.written == []
    assert "no answer" in saved.text


async def test_the_added_level_takes_the_focus(monkeypatch):
    """A keyboard or screen-reader user lands on the level just added, not at the page's top."""
    client, session, _ = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    added = await _add(client, session, "neurology", "L2", posted)
    focused = re.findall(r'<input [^>]*name="([^"]+)"[^>]* autofocus', added.text)
    assert len(focused) == 1 and focused[0].startswith("L2|"), focused


async def test_a_form_whose_only_item_is_the_records_own_level_writes_nothing(monkeypatch):
    client, session, fhir = await serving(
        monkeypatch, [*_unplaced(), condition("m8", "C79.51", level="T8")]
    )
    saved = await client.post("/smart/form/sins", data={"csrf": session.csrf, "level": "T8"})
    assert saved.status_code == 400 and fhir.written == []
    assert "no answer" in saved.text and _levels(saved.text) == ["T8"]


async def test_no_focus_jumps_past_an_alert_that_the_record_changed(monkeypatch):
    client, session, fhir = await serving(monkeypatch, default_patient())
    posted = posted_fields((await client.get("/smart/form/neurology")).text)
    fhir.record.append(_frankel_c())
    added = await _add(client, session, "neurology", "L2", posted)
    assert 'role="alert"' in added.text and " autofocus" not in added.text
