"""An answer ``$populate`` prefilled from the record and the clinician left unchanged repeats a
finding the record already holds (it carries the answer-recorded mark with that finding's time):
it is not a new assessment. ``$extract`` does not write it again, a response read as findings
does not re-date it, and the SMART form keeps the mark on such an answer (and drops it when the
clinician changes the answer). Scenario: T12 findings on 30 May, vertebroplasty at T12 on 31 May,
the SINS form opened on 1 Jun with the two missing items answered."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from adapter.fhir.read.timing import parse_time
from adapter.mapping.rules import DEFAULT_RULES
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import RECORDED_AT, populate
from adapter.smart.form import response_from
from adapter.vocabulary.systems import FINDING
from tests.support.records import NOW, default_patient, finding, procedure
from tests.support.smart_app import launch_server, launched


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the app's event loop


NEW = {"spinal-alignment": "normal", "posterolateral-involvement": "none"}


def _record() -> list[dict[str, Any]]:
    cement = procedure("vp", "22511", "T12", when="2024-05-31T08:00:00Z")
    drop = tuple(f"t12-{code}" for code in NEW)
    return default_patient(drop=drop, extra=(cement,))


def _populated(record: list[dict[str, Any]]) -> dict[str, Any]:
    data = patient_records(record, "p")
    assert data is not None
    return populate("sins", data, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES)


def _completed(record: list[dict[str, Any]]) -> dict[str, Any]:
    """The prefilled form with the two missing items answered, as any SDC client sends it."""
    qr = copy.deepcopy(_populated(record))
    [group] = qr["item"]
    for code, answer in NEW.items():
        coding = {"system": FINDING, "code": answer}
        group["item"].insert(-1, {"linkId": code, "answer": [{"valueCoding": coding}]})
    qr.update(id="qr1", status="completed", author={"reference": "Practitioner/dr"})
    return qr


def _observations(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["resource"]["code"]["coding"][0]["code"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }


def test_an_unchanged_prefilled_answer_is_not_extracted_again():
    found = _observations(extract(_completed(_record()), default_terminology()))
    assert set(found) == set(NEW)
    assert {o["effectiveDateTime"] for o in found.values()} == {NOW}


def test_a_response_read_as_findings_does_not_redate_its_prefilled_answers():
    record = _record()
    data = patient_records([*record, _completed(record)], "p")
    assert data is not None
    from_response = [f for f in data.observations if f.ref.resource_type == "QuestionnaireResponse"]
    assert sorted(f.codes[0].code for f in from_response) == sorted(NEW)


def _fields(
    populated: dict[str, Any], *, new: bool = True, changed: dict[str, str] | None = None
) -> dict[str, str]:
    """What the browser sends for the prefilled form: each checked answer, as shown, with the
    two missing items answered when ``new``."""
    [group] = populated["item"]
    fields = {f"T12|{i['linkId']}": i["answer"][0]["valueCoding"]["code"]
              for i in group["item"] if i["linkId"] != "vertebra" and "valueCoding" in i["answer"][0]}  # fmt: skip
    fields.update({f"T12|{code}": answer for code, answer in NEW.items() if new})
    fields.update({f"T12|{code}": answer for code, answer in (changed or {}).items()})
    return fields


def _marks(response: dict[str, Any]) -> dict[str, str | None]:
    [group] = response["item"]
    out: dict[str, str | None] = {}
    for item in group["item"]:
        exts = item["answer"][0].get("extension", ())
        out[item["linkId"]] = next(
            (e["valueDateTime"] for e in exts if e["url"] == RECORDED_AT), None
        )
    return out


def test_the_smart_form_keeps_the_mark_on_untouched_answers_and_drops_it_on_changed_ones():
    populated = _populated(_record())
    fields = _fields(populated, changed={"bone-lesion-quality": "blastic"})
    response = response_from("sins", fields, ["T12"], patient="p", authored=NOW, author=None,
                             prefilled=populated)  # fmt: skip
    marks = _marks(response)
    assert marks["spinal-pain"] == "2024-05-30T09:00:00Z"
    assert marks["vertebral-body-collapse"] == "2024-05-30T09:00:00Z"
    assert marks["bone-lesion-quality"] is None  # changed: a new assessment
    assert marks["spinal-alignment"] is None and marks["posterolateral-involvement"] is None
    found = _observations(extract({**response, "id": "qr2"}, default_terminology()))
    assert set(found) == {"bone-lesion-quality", *NEW}


class _Growing:
    """A FHIR server whose record grows by what each transaction writes."""

    def __init__(self, record: list[dict[str, Any]]) -> None:
        self.record = record

    async def read(self, session: Any, timeout: float) -> list[Any]:
        return list(self.record)

    async def write(self, session: Any, bundle: dict[str, Any], timeout: float) -> list[str]:
        written = []
        for n, entry in enumerate(bundle["entry"]):
            resource = dict(entry["resource"], id=f"w{len(self.record)}-{n}")
            self.record.append(resource)
            written.append(f"{resource['resourceType']}/{resource['id']}")
        return written


def _for_p1(record: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The record as the launch server's patient's (p1)."""
    text = json.dumps(record).replace('"Patient/p"', '"Patient/p1"')
    moved: list[dict[str, Any]] = json.loads(text)
    moved[0]["id"] = "p1"
    return moved


async def _saved_page(
    monkeypatch: Any,
    record: list[dict[str, Any]],
    *,
    new: bool = True,
    confirmed: tuple[str, ...] = (),
) -> tuple[str, str]:
    """The page before the save and the page after, the prefilled form saved as shown (the
    ``confirmed`` answers ticked "assessed now, unchanged")."""
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    server = _Growing(_for_p1(record))
    monkeypatch.setattr("adapter.smart.view.read_record", server.read)
    monkeypatch.setattr("adapter.smart.view.write_transaction", server.write)
    monkeypatch.setattr("adapter.smart.view.now_time", lambda: parse_time(NOW))
    before = (await signed.client.get("/smart/")).text
    shown = _populated(record)
    form = {"csrf": signed.session.csrf, "level": "T12", **_fields(shown, new=new)}
    if confirmed:  # as the browser posts it: what the form showed beside each ticked answer
        form |= {"shown-form": "1"}
        form |= {f"shown|T12|{code}": form[f"T12|{code}"] for code in confirmed}
        form |= {f"confirmed|T12|{code}": "1" for code in confirmed}
    after = await signed.client.post("/smart/form/sins", data=form)
    await signed.client.aclose()
    # Saved as shown, it records nothing new, and says so (adapter/smart/view.py).
    said = "Saved to the record" if new else "Saved: no new finding was recorded"
    assert after.status_code == 200 and said in after.text
    return before, after.text


@pytest.mark.anyio
async def test_saving_the_prefilled_form_unchanged_keeps_the_cemented_level_before_cement(
    monkeypatch,
):
    before, after = await _saved_page(monkeypatch, _record(), new=False)
    assert "as recorded before the vertebroplasty on 31 May 2024" in before
    assert "as recorded before the vertebroplasty on 31 May 2024" in after
    assert "Scored from the findings after" not in after
    assert "surgical consultation recommended" not in after


@pytest.mark.anyio
async def test_saving_two_new_answers_after_cement_scores_from_those_only(monkeypatch):
    """The t08 save: the two answers given on 1 Jun are after the cement, so the level is scored
    from them only (contract §6 v3); the pre-cement findings are listed, not re-dated and used."""
    _, after = await _saved_page(monkeypatch, _record())
    assert "Scored from the findings after the vertebroplasty on 31 May 2024" in after
    assert "SINS T12: 3–11" in after  # location 1 + normal 0 + none 0; pain, lesion, collapse open
    assert "SINS 10" not in after and "surgical consultation recommended" not in after


@pytest.mark.anyio
async def test_saving_old_findings_unchanged_keeps_them_dated(monkeypatch):
    old = "2024-04-01T09:00:00Z"  # 61 days before NOW: past the 30-day SINS window
    record = [r for r in default_patient() if not str(r["id"]).startswith("t12-")]
    record += [finding(f"t12-{code}", code, answer, level="T12", when=old)
               for code, answer in {"spinal-pain": "mechanical", "bone-lesion-quality": "lytic",
                                    "vertebral-body-collapse": "lt-50"}.items()]  # fmt: skip
    before, after = await _saved_page(monkeypatch, record)
    assert "dated" in before
    assert after.count("dated") >= before.count("dated")


@pytest.mark.anyio
async def test_old_findings_confirmed_as_assessed_now_are_no_longer_dated(monkeypatch):
    # The card says "dated — re-assess"; the clinician examines, finds the same, and ticks
    # "assessed now, unchanged": the SINS rests on today's findings, dated no more.
    old = "2024-04-01T09:00:00Z"
    codes = {"spinal-pain": "mechanical", "bone-lesion-quality": "lytic",
             "vertebral-body-collapse": "lt-50"}  # fmt: skip
    record = [r for r in default_patient() if not str(r["id"]).startswith("t12-")]
    record += [finding(f"t12-{c}", c, a, level="T12", when=old) for c, a in codes.items()]
    before, after = await _saved_page(monkeypatch, record, confirmed=tuple(codes))
    assert "dated" in before
    assert "SINS" in after and "dated" not in after


def _undated_record() -> list[dict[str, Any]]:
    """The record with its T12 pain finding carrying no time at all (no effective, no issued)."""
    record = _record()
    for resource in record:
        if resource["id"] == "t12-spinal-pain":
            del resource["effectiveDateTime"]
    return record


def test_a_prefilled_finding_with_no_recorded_time_is_marked_and_never_extracted_as_new():
    """Saved unchanged, a finding with no time would become today's, clinician-performed
    assessment and outrank every timed report of the level (a Bilsky 3 the day before)."""
    populated = _populated(_undated_record())
    [group] = populated["item"]
    [pain] = [i for i in group["item"] if i["linkId"] == "spinal-pain"]
    assert [e["url"] for e in pain["answer"][0].get("extension", ())] == [RECORDED_AT]
    found = _observations(extract(_completed(_undated_record()), default_terminology()))
    assert set(found) == set(NEW)
    response = response_from("sins", _fields(populated), ["T12"], patient="p", authored=NOW,
                             author=None, prefilled=populated)  # fmt: skip
    found = _observations(extract({**response, "id": "qr2"}, default_terminology()))
    assert set(found) == set(NEW)


def test_the_smart_form_says_a_prefilled_answer_has_no_recorded_time():
    from adapter.smart.form import form_html

    populated = _populated(_undated_record())
    page = form_html("sins", populated, "token")
    assert "(in the record, no recorded time)" in page


# --- a preliminary Bilsky 2–3 at a level where no metastasis is coded --------------------------

BILSKY = "epidural-spinal-cord-compression"


def _preliminary_at_l2(answer: str = "bilsky-3") -> dict[str, Any]:
    """A preliminary MRI report of ``answer`` at L2, where no metastasis is coded (the metastasis
    and the final Bilsky 0 are at T12), the day before NOW."""
    report = finding("mri-l2", BILSKY, answer, level="L2", when="2024-05-31T09:00:00Z")
    return report | {"status": "preliminary"}


def _neurology_levels(record: list[dict[str, Any]]) -> tuple[dict[str, Any], Any]:
    from adapter.questionnaire.populate import populate_with_reports

    data = patient_records(record, "p")
    assert data is not None
    return populate_with_reports(
        "neurology", data, default_terminology(), parse_time(NOW), rules=DEFAULT_RULES
    )


def _groups(populated: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each level group's answered questions, by level: linkId → answer code."""
    out = {}
    for group in populated.get("item", ()):
        if group["linkId"] != "level":
            continue
        level, *items = group["item"]
        out[level["answer"][0]["valueCoding"]["code"]] = {
            i["linkId"]: i["answer"][0]["valueCoding"]["code"] for i in items if i.get("answer")
        }
    return out


def _cards(record: list[dict[str, Any]], patient: str = "p") -> list[str]:
    from adapter.cds.cards import score_cards
    from adapter.decision import decide
    from adapter.pipeline import score_patient

    data = patient_records(record, patient)
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    return [f"{c.summary} {c.detail or ''}" for c in score_cards(decide(result), "hook")]


def test_populate_offers_the_level_of_a_preliminary_high_grade_where_no_metastasis_is_coded():
    # The cards alarm on it ("Bilsky 2–3 at L2, preliminary report — confirm"): the neurology
    # form must let L2 be graded, the question left open (only a preliminary report says it)
    # and the report named beside it.
    record = default_patient(extra=(_preliminary_at_l2(),))
    assert any("at L2, preliminary report — confirm" in c for c in _cards(record))
    populated, reports = _neurology_levels(record)
    groups = _groups(populated)
    assert list(groups) == ["T12", "L2"]
    assert groups["T12"][BILSKY] == "bilsky-0"
    assert BILSKY not in groups["L2"]
    said = reports.get(("L2", BILSKY))
    assert said is not None and "Bilsky 3" in said and "31 May 2024" in said


def test_populate_does_not_offer_the_level_of_a_preliminary_low_grade_where_no_metastasis_is():
    # A preliminary Bilsky 1a raises no alarm and names nothing to confirm there.
    record = default_patient(extra=(_preliminary_at_l2("bilsky-1a"),))
    assert not any("L2" in c for c in _cards(record))
    populated, reports = _neurology_levels(record)
    assert list(_groups(populated)) == ["T12"] and reports == {}


@pytest.mark.anyio
async def test_a_grade_saved_at_the_level_of_a_preliminary_report_replaces_it(monkeypatch):
    # Through the SMART form: the page offers L2 with the report beside it; the clinician grades
    # L2 Bilsky 0 and saves; the record's cards no longer ask to confirm the preliminary report.
    from tests.support.smart_app import posted_fields

    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    server = _Growing(_for_p1(default_patient(extra=(_preliminary_at_l2(),))))
    monkeypatch.setattr("adapter.smart.view.read_record", server.read)
    monkeypatch.setattr("adapter.smart.view.write_transaction", server.write)
    monkeypatch.setattr("adapter.smart.view.now_time", lambda: parse_time(NOW))
    before = (await signed.client.get("/smart/")).text
    assert "Bilsky 2–3 at L2, preliminary report — confirm" in before
    shown = (await signed.client.get("/smart/form/neurology")).text
    assert f'data-question="L2|{BILSKY}"' in shown
    posted = posted_fields(shown) | {f"L2|{BILSKY}": "bilsky-0"}
    form = {**posted, "csrf": signed.session.csrf, "level": ["T12", "L2"]}
    after = await signed.client.post("/smart/form/neurology", data=form)
    await signed.client.aclose()
    assert after.status_code == 200 and "Saved to the record" in after.text
    assert "preliminary report — confirm" not in after.text
    cards = _cards(server.record, "p1")
    assert not any("preliminary report — confirm" in c for c in cards)
    assert not any("L2" in c and "Suspected spinal cord compression" in c for c in cards)
