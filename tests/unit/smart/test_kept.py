"""A form the FHIR server does not take is not lost: the page comes back with the clinician's
entries in the form, says it was not saved and why, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapter.errors import FhirServerError
from tests.support.smart_app import (
    app_of,
    launch_server,
    posted_fields,
    save_sins,
    session_of,
    signed_in,
)

pytestmark = pytest.mark.anyio


def _refusing(monkeypatch: Any, status: int | None) -> list[dict[str, Any]]:
    from tests.support.records import default_patient

    tried: list[dict[str, Any]] = []

    async def record(session: Any, timeout: float) -> list[Any]:
        return default_patient()

    async def write(session: Any, bundle: dict[str, Any], timeout: float) -> list[str]:
        tried.append(bundle)
        raise FhirServerError("the transaction failed", status=status, diagnostics="secret-db-url")

    monkeypatch.setattr("adapter.smart.view.read_record", record)
    monkeypatch.setattr("adapter.smart.view.write_transaction", write)
    return tried


@pytest.mark.parametrize(
    ("status", "answered", "why"),
    [
        (500, 502, "try again"),
        (None, 502, "try again"),  # not reached at all
        (403, 403, "granted scopes"),
        (401, 401, "launch again"),
    ],
)
async def test_a_refused_save_gives_the_form_back_with_the_entries(
    monkeypatch, status, answered, why
):
    smart = launch_server()
    app = app_of(smart)
    tried = _refusing(monkeypatch, status)
    client, _ = await signed_in(app, smart)
    page = await save_sins(client, session_of(app))
    await client.aclose()
    # one transaction tried, which the server refused; after a 401 the token is refreshed and
    # the transaction sent once more (test_refresh_on_401.py), refused again here
    assert len(tried) == (2 if status == 401 else 1)
    assert page.status_code == answered
    text = page.text
    assert "Not saved" in text and why in text and "kept below" in text
    assert "secret-db-url" not in text  # the server's own error text never reaches the page
    # the form again, at the level entered, with the entered answers chosen
    assert '<form method="post"' in text and 'name="level" value="T8"' in text
    assert 'name="T8|spinal-pain" id="T8-spinal-pain-' in text
    assert 'value="mechanical" checked' in text and 'value="lytic" checked' in text


async def test_a_saved_form_whose_record_cannot_be_read_again_says_it_was_saved(monkeypatch):
    """Not "try again": the form was written, and sending it twice would record it twice."""
    from tests.support.records import default_patient

    reads: list[int] = []
    written: list[dict[str, Any]] = []

    async def record(session: Any, timeout: float) -> list[Any]:
        reads.append(1)
        if len(reads) > 1:
            raise FhirServerError("gone", status=503)
        return default_patient()

    async def write(session: Any, bundle: dict[str, Any], timeout: float) -> list[str]:
        written.append(bundle)
        return ["QuestionnaireResponse/1/_history/1"]

    monkeypatch.setattr("adapter.smart.view.read_record", record)
    monkeypatch.setattr("adapter.smart.view.write_transaction", write)
    smart = launch_server()
    app = app_of(smart)
    client, _ = await signed_in(app, smart)
    reads.clear()
    page = await save_sins(client, session_of(app))
    await client.aclose()
    assert len(written) == 1 and len(reads) == 2
    assert page.status_code == 200
    assert "Saved." in page.text and "reload the page" in page.text and "try again" not in page.text


async def test_a_count_below_its_minimum_comes_back_as_the_form_with_the_entries(monkeypatch):
    """Not a JSON OperationOutcome: a page, the other answers kept, nothing written."""
    client, session, written = await _signed_in_to_the_default_patient(monkeypatch)
    form = {"csrf": session.csrf, "patient|vertebral-metastases-count": "0",
            "patient|visceral-metastases": "untreatable"}  # fmt: skip
    page = await client.post("/smart/form/staging", data=form)
    await client.aclose()
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "Not saved" in page.text and "kept below" in page.text and "≥ 1" in page.text
    assert 'value="untreatable" checked' in page.text
    assert written == []


async def test_a_save_that_records_no_new_finding_says_so(monkeypatch):
    """Every answer left as the record has it: the response is kept, but nothing is new, and
    "Saved … SINS is now 10" would read as a fresh assessment (the card may still say dated)."""
    client, session, _ = await _signed_in_to_the_default_patient(monkeypatch)
    shown = (await client.get("/smart/form/sins")).text
    import re

    posted = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', shown))
    posted |= dict(
        re.findall(r'type="radio" name="([^"]+)" id="[^"]+" value="([^"]*)" checked', shown)
    )
    page = await client.post(
        "/smart/form/sins", data={**posted, "level": "T12", "csrf": session.csrf}
    )
    await client.aclose()
    assert page.status_code == 200
    assert "no new finding was recorded" in page.text


async def _signed_in_to_the_default_patient(monkeypatch: Any) -> tuple[Any, Any, list[Any]]:
    """A browser signed in to the app, whose FHIR server holds the default patient (as the launch
    server's patient) and keeps each transaction."""
    return await _record_changing(monkeypatch)


async def _record_changing(
    monkeypatch: Any, *newer: dict[str, Any], after: int = 1
) -> tuple[Any, Any, list[Any]]:
    """Signed in to the default patient, whose record gains ``newer`` after the first read (the
    form shown; ``after=0``: from the start), as when a colleague records findings meanwhile;
    the transactions kept."""
    from tests.support.records import default_patient

    reads: list[int] = []
    written: list[dict[str, Any]] = []

    async def record(session: Any, timeout: float) -> list[Any]:
        reads.append(1)
        resources = [*default_patient(), *(newer if len(reads) > after else ())]
        moved = json.loads(json.dumps(resources).replace('"Patient/p"', '"Patient/p1"'))
        moved[0]["id"] = "p1"  # the launch server's patient
        return list(moved)

    async def write(session: Any, bundle: dict[str, Any], timeout: float) -> list[str]:
        written.append(bundle)
        return [f"{e['resource']['resourceType']}/w{n}" for n, e in enumerate(bundle["entry"])]

    monkeypatch.setattr("adapter.smart.view.read_record", record)
    monkeypatch.setattr("adapter.smart.view.write_transaction", write)
    smart = launch_server()
    app = app_of(smart)
    client, _ = await signed_in(app, smart)
    return client, session_of(app), written


def _t12(code: str, answer: str) -> dict[str, Any]:
    from tests.support.records import finding

    return finding(f"new-{code}", code, answer, level="T12", when="2024-05-31T09:00:00Z")


async def test_a_confirmation_the_record_changed_under_comes_back_as_the_form_with_the_entries(
    monkeypatch,
):
    """The clinician ticks "assessed now, unchanged" beside the record's mechanical pain and
    changes the alignment; meanwhile a colleague records non-mechanical pain and a collapse over
    50 %. Nothing is written; the form comes back with the alignment kept, every other question
    as the record has it now (the collapse too, though untouched), each change named, and a
    second save of the same tick goes through."""
    newer = (_t12("spinal-pain", "non-mechanical"), _t12("vertebral-body-collapse", "gt-50"))
    client, session, written = await _record_changing(monkeypatch, *newer)
    posted = posted_fields((await client.get("/smart/form/sins")).text)
    assert posted["T12|spinal-pain"] == "mechanical"
    assert posted["T12|vertebral-body-collapse"] == "lt-50"
    posted |= {"T12|spinal-alignment": "subluxation", "confirmed|T12|spinal-pain": "1"}
    posted |= {"confirmed|T12|bone-lesion-quality": "1"}  # still as the record has it
    page = await client.post(
        "/smart/form/sins", data={**posted, "level": "T12", "csrf": session.csrf}
    )
    assert page.status_code == 400 and written == []
    text = page.text
    assert "Not saved" in text and "changed since the form was shown" in text
    assert "Spinal pain" in text and "collapse" in text and "kept below" in text
    assert '<form method="post"' in text
    assert 'name="T12|spinal-alignment" id="T12-spinal-alignment-' in text
    assert 'value="subluxation" checked' in text and 'value="non-mechanical" checked' in text
    assert (
        'value="gt-50" checked' in text
        and 'name="shown|T12|vertebral-body-collapse" value="gt-50"' in text
    )
    # an answer ticked and still the record's comes back from the record, to be ticked again
    assert 'name="shown|T12|bone-lesion-quality" value="lytic"' in text
    assert 'name="confirmed|T12|bone-lesion-quality"' in text
    again = posted_fields(text) | {"confirmed|T12|spinal-pain": "1"}
    page = await client.post(
        "/smart/form/sins", data={**again, "level": "T12", "csrf": session.csrf}
    )
    await client.aclose()
    assert page.status_code == 200 and len(written) == 1


async def test_an_untouched_answer_the_record_changed_under_is_named_never_said_to_repeat_it(
    monkeypatch,
):
    """The form shows a collapse under 50 %; the clinician changes nothing there, and a colleague
    records a collapse over 50 % meanwhile. The save must not say "every answer repeats what the
    record has" (the form said under 50 %, the record now says over): nothing is written, the
    form comes back with the record's answer named, and the next save goes through."""
    newer = (_t12("vertebral-body-collapse", "gt-50"),)
    client, session, written = await _record_changing(monkeypatch, *newer)
    posted = posted_fields((await client.get("/smart/form/sins")).text)
    assert posted["T12|vertebral-body-collapse"] == "lt-50"
    page = await client.post(
        "/smart/form/sins", data={**posted, "level": "T12", "csrf": session.csrf}
    )
    assert page.status_code == 400 and written == []
    text = page.text
    assert "repeats what the record has" not in text
    assert "changed since the form was shown" in text and "collapse" in text
    assert 'name="shown|T12|vertebral-body-collapse" value="gt-50"' in text
    again = await client.post(
        "/smart/form/sins", data={**posted_fields(text), "level": "T12", "csrf": session.csrf}
    )
    await client.aclose()
    assert again.status_code == 200 and "changed since" not in again.text


async def test_a_ticked_answer_the_clinician_changed_is_saved_as_their_own(monkeypatch):
    # The tick means nothing once the answer is changed: a new assessment, saved at once.
    client, session, written = await _record_changing(
        monkeypatch, _t12("spinal-pain", "non-mechanical")
    )
    posted = posted_fields((await client.get("/smart/form/sins")).text)
    posted |= {"T12|spinal-pain": "pain-free", "confirmed|T12|spinal-pain": "1"}
    page = await client.post(
        "/smart/form/sins", data={**posted, "level": "T12", "csrf": session.csrf}
    )
    await client.aclose()
    assert page.status_code == 200 and len(written) == 1
    saved = [
        e["resource"] for e in written[0]["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert [o["valueCodeableConcept"]["coding"][0]["code"] for o in saved] == ["pain-free"]


async def test_the_form_names_a_preliminary_report_an_answer_would_replace(monkeypatch):
    # A preliminary Bilsky 3 at T12 after the final Bilsky 0: the question is left open, and the
    # report is said beside it, since an answer there would replace it (contract §2).
    early = _t12("epidural-spinal-cord-compression", "bilsky-3") | {"status": "preliminary"}
    client, _, _ = await _record_changing(monkeypatch, early, after=0)
    text = (await client.get("/smart/form/neurology")).text
    await client.aclose()
    fieldset = text[text.index('id="level-T12"') :]
    fieldset = fieldset[: fieldset.index("</fieldset></fieldset>")]
    assert "a preliminary report in the record:" in fieldset and "Bilsky 3" in fieldset
    assert "an answer here replaces it" in fieldset
    assert 'name="confirmed|T12|epidural-spinal-cord-compression"' not in fieldset


async def test_the_form_names_a_preliminary_report_at_a_level_where_no_metastasis_is_coded(
    monkeypatch,
):
    # A preliminary Bilsky 3 at L2 (the metastasis and the final Bilsky 0 are at T12): the cards
    # alarm on L2, so the form offers L2, left open, with the report said beside it.
    from tests.support.records import finding

    early = finding("mri-l2", "epidural-spinal-cord-compression", "bilsky-3", level="L2",
                    when="2024-05-31T09:00:00Z") | {"status": "preliminary"}  # fmt: skip
    client, _, _ = await _record_changing(monkeypatch, early, after=0)
    text = (await client.get("/smart/form/neurology")).text
    await client.aclose()
    assert 'id="level-L2"' in text
    fieldset = text[text.index('id="level-L2"') :]
    fieldset = fieldset[: fieldset.index("</fieldset></fieldset>")]
    assert "a preliminary report in the record:" in fieldset and "Bilsky 3" in fieldset
    assert "31 May 2024" in fieldset and "an answer here replaces it" in fieldset
    assert 'value="" checked' in fieldset  # not prefilled: "not known" stays chosen
    assert 'name="confirmed|L2|epidural-spinal-cord-compression"' not in fieldset
    t12 = text[text.index('id="level-T12"') : text.index('id="level-L2"')]
    assert "a preliminary report in the record:" not in t12


_BILSKY_TITLE = "Epidural spinal cord compression (Bilsky ESCC grade)"


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("2024-05-31T09:00:00Z", "Bilsky 3: cord compression, no CSF visible, 31 May 2024"),
        (None, "Bilsky 3: cord compression, no CSF visible, no date recorded"),
        # May alone began 31 days before NOW: past the 30-day window for a Bilsky grade
        ("2024-05", "Bilsky 3: cord compression, no CSF visible, May 2024, dated"),
    ],
)
async def test_the_report_note_names_the_report_by_its_answer_and_date_once(
    monkeypatch, when, said
):
    # The note sits in the question's legend, which a screen reader reads for each radio: it
    # names the report by its answer and its date, once, without the question's title again and
    # without a parenthesis after a parenthesis.
    from adapter.fhir.read.timing import parse_time
    from tests.support.records import NOW, finding

    early = finding("mri-pre", "epidural-spinal-cord-compression", "bilsky-3", level="T12")
    early["status"] = "preliminary"
    if when is None:
        del early["effectiveDateTime"]
    else:
        early["effectiveDateTime"] = when
    client, _, _ = await _record_changing(monkeypatch, early, after=0)
    monkeypatch.setattr("adapter.smart.view.now_time", lambda: parse_time(NOW))
    text = (await client.get("/smart/form/neurology")).text
    await client.aclose()
    start = text.index('data-question="T12|epidural-spinal-cord-compression"><legend>')
    legend = text[start : text.index("</legend>", start)].split("<legend>", 1)[1]
    note = legend[legend.index('<span class="report">') :]
    assert note == (
        f'<span class="report">(a preliminary report in the record: {said} — an answer here '
        "replaces it)</span>"
    )
    assert legend.count(_BILSKY_TITLE) == 1 and ") (" not in legend


async def test_a_palsy_report_of_the_other_scale_is_named_by_its_own_answer(monkeypatch):
    # A preliminary AIS C beside the final Frankel E: beside each palsy question the report is
    # named by its answer, which names its scale, and its date; no question's title inside.
    from adapter.fhir.read.timing import parse_time
    from tests.support.records import NOW, finding

    early = finding("ais-pre", "asia-impairment-scale", "ais-c", when="2024-05-31T09:00:00Z")
    early["status"] = "preliminary"
    client, _, _ = await _record_changing(monkeypatch, early, after=0)
    monkeypatch.setattr("adapter.smart.view.now_time", lambda: parse_time(NOW))
    text = (await client.get("/smart/form/neurology")).text
    await client.aclose()
    said = (
        "(a preliminary report in the record: AIS C: motor incomplete, most key muscles below "
        "grade 3, 31 May 2024 — an answer here replaces it)"
    )
    for question in ("frankel-grade", "asia-impairment-scale"):
        start = text.index(f'data-question="patient|{question}"><legend>')
        legend = text[start : text.index("</legend>", start)]
        assert said in legend
        assert "ASIA impairment scale (AIS) grade:" not in legend and ") (" not in legend


async def test_a_save_the_scopes_refuse_names_what_the_record_changed_under_the_form(monkeypatch):
    """The clinician is told to record the entries in the EHR: a colleague's newer finding put in
    their place must be named, or it would be copied as the clinician's own."""
    newer = (_t12("vertebral-body-collapse", "gt-50"),)
    client, session, written = await _record_changing(monkeypatch, *newer)
    posted = posted_fields((await client.get("/smart/form/sins")).text)
    session.scope = "launch openid fhirUser patient/*.rs"
    page = await client.post(
        "/smart/form/sins",
        data={**posted, "T12|spinal-alignment": "subluxation", "level": "T12",
              "csrf": session.csrf},
    )  # fmt: skip
    await client.aclose()
    assert page.status_code == 403 and written == []
    assert "changed since the form was shown" in page.text and "collapse" in page.text
    assert 'value="subluxation" checked' in page.text
    # the change is read before the instruction to copy the entries into the EHR
    assert page.text.index("changed since the form was shown") < page.text.index("in the EHR")
