"""Card rules: summary wording and length, indicators, details, suggestions."""

from __future__ import annotations

import json

import pytest

from adapter.cds.cards import headline, indicator, score_cards
from adapter.decision import decide
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import now_time, score_patient
from adapter.report import summarise
from adapter.scoring import Possible, ScoreResult
from adapter.scoring.result import Part, result_of
from adapter.vocabulary import SINS
from adapter.vocabulary.cards import markdown_text
from tests.support.records import default_patient as _default
from tests.support.records import finding as _finding
from tests.support.records import measurement as _measurement
from tests.unit.cds.conftest import ROOT

EDGE = ROOT / "fixtures" / "edge"


def _result(path, now=None):
    resources = [e["resource"] for e in json.loads(path.read_text())["entry"]]
    (data,) = patients_from_resources(resources, [])
    return decide(score_patient(data, default_terminology(), now=now or now_time()))


def _sins(low: int, high: int) -> ScoreResult:
    # One component spanning low..high, the others certain at 0, so the total is that span.
    first = Part(Possible.among(range(low, high + 1)), lambda v: v, range(19))
    zero = Part(Possible.of(0), lambda v: v, (0,))
    return result_of(SINS, [first] + [zero] * (len(SINS.components) - 1))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0, 6, "info"), (3, 7, "info"), (6, 12, "info"), (7, 12, "warning"), (12, 13, "warning"),
     (13, 13, "critical"), (13, 18, "critical")],
)  # fmt: skip
def test_sins_indicator(low, high, expected):
    assert indicator(_sins(low, high)) == expected


def test_critical_card_for_sins_13():
    # Findings of 20 May 2024: current twelve days later, dated (30-day window) today.
    current = _result(EDGE / "band-sins-13.json", parse_time("2024-06-01T00:00:00Z"))
    cards = score_cards(current, "hook-1")
    assert cards[0].indicator == "critical"
    assert cards[0].summary == "SINS 13 at L2 (unstable): surgical consultation recommended"
    (dated, *_) = score_cards(_result(EDGE / "band-sins-13.json"), "hook-1")
    assert dated.indicator == "warning"
    assert dated.summary == "SINS 13 at L2 on 20 May 2024 (dated) — re-assess"


def test_range_summary_names_what_is_missing():
    decisions = _result(EDGE / "missing-kps.json")
    cards = {c.source.topic.code: c for c in score_cards(decisions, "h") if c.source.topic}
    tokuhashi = cards["tokuhashi-revised"]
    scores = decisions.result.scores
    revised = next(s.result for s in scores if s.result.code == "tokuhashi-revised")
    if revised.band is None:
        assert "range spans bands" in tokuhashi.summary and "KPS missing" in tokuhashi.summary
    assert "Karnofsky" in tokuhashi.detail  # what would settle it
    assert tokuhashi.indicator == "info"


@pytest.mark.parametrize("path", sorted(EDGE.glob("*.json")), ids=lambda p: p.stem)
def test_every_edge_case_gives_valid_cards(path):
    resources = [e["resource"] for e in json.loads(path.read_text())["entry"]]
    for data in patients_from_resources(resources, []):
        result = score_patient(data, default_terminology(), now=now_time())
        cards = score_cards(decide(result), "h")
        scored = [c for c in cards if c.source.topic is not None]
        for card in cards:
            assert 0 < len(card.summary) < 140
            assert "indicated" not in card.summary + (card.detail or "")
        for card, summary in zip(scored, summarise(result), strict=False):
            assert card.selectionBehavior == "at-most-one"
            assert card.suggestions and card.suggestions[0].actions
            assert headline(summary)


def test_table_cells_escape_pipes_and_newlines():
    assert markdown_text("a|b\nc") == "a\\|b c"


def test_suggestions_carry_the_pipeline_resources_with_resolvable_references():
    decisions = _result(EDGE / "band-sins-13.json")
    result = decisions.result
    cards = score_cards(decisions, "h")
    tomita = next(s for s in result.scores if s.result.code == "tomita")
    observation, risk = (a.resource for a in cards[1].suggestions[0].actions)
    assert observation == tomita.observation.resource
    # Outside a Bundle a urn:uuid cannot be resolved: the basis names the Observation by identifier.
    assert risk == {**tomita.risk.resource, "basis": risk["basis"]}
    assert risk["basis"][0] == {
        "type": "Observation",
        "identifier": tomita.observation.resource["identifier"][0],
    }
    assert risk["basis"][1:] == tomita.risk.resource["basis"][1:]
    assert not any(ref.get("reference", "").startswith("urn:") for ref in risk["basis"])


# A bone metastasis whose level is not recorded (contract §4: one card per score, saying what is
# missing and what would settle it; §4 v3: one decision on every surface).
def _unplaced(*bone_metastasis):
    from tests.support.records import SNOMED, condition, finding, measurement, patient

    met = condition("met", "94222008", system=SNOMED)
    met.update(bone_metastasis[0] if bone_metastasis else {})
    return [
        patient(),
        condition("primary", "C50.911"),
        met,
        finding("frankel", "frankel-grade", "frankel-e"),
        measurement("kps", "89243-0", 70),
        *bone_metastasis[1:],
    ]


def _site(code: str, display: str) -> dict:
    from tests.support.records import SNOMED

    return {"bodySite": [{"coding": [{"system": SNOMED, "code": code, "display": display}]}]}


def _sins_card(decisions):
    return next(c for c in score_cards(decisions, "h") if c.source.topic.code == "sins")


@pytest.mark.parametrize(
    "where",
    [{}, _site("51282000", "Bone structure of spine"), _site("421060004", "Vertebral column")],
    ids=["no-body-site", "spine", "vertebral-column"],
)
def test_a_metastasis_without_a_level_gets_a_sins_card_saying_the_level_is_not_recorded(where):
    from tests.unit.decision.test_wording import decisions_for, surfaces

    decisions = decisions_for(_unplaced(where))
    card = _sins_card(decisions)
    assert card.indicator == "info"
    assert card.summary.startswith("SINS cannot be placed: level not recorded")
    assert "record the bone metastasis's level (bodySite)" in card.detail
    _, _, text, _ = surfaces(decisions)
    assert "SINS cannot be placed: level not recorded" in text


def test_a_spinal_metastasis_without_a_level_is_not_scored_as_extraspinal_on_any_surface():
    from tests.unit.decision.test_wording import decisions_for, surfaces

    decisions = decisions_for(_unplaced(_site("421060004", "Structure of vertebral column")))
    cards, card_text, text, _ = surfaces(decisions)
    for said in (card_text, text):
        assert "supportive care" not in said  # modified Bauer: not a second skeletal focus
    tomita = next(c for c in cards if c.source.topic and c.source.topic.code == "tomita")
    assert "| Bone metastases | 1 |" in tomita.detail


def _with_second_metastasis(code: str, display: str):
    from tests.support.records import SNOMED, condition

    second = condition("met-2", "94222008", system=SNOMED)
    second.update(_site(code, display))
    return _unplaced(_site("53983007", "Structure of body of second lumbar vertebra"), second)


@pytest.mark.parametrize(
    ("code", "display"),
    [("12921003", "Pelvic structure"), ("71341001", "Bone structure of femur")],
)
def test_an_extraspinal_metastasis_is_cited_by_display_on_the_prognosis_cards(code, display):
    # §2: a non-spinal bodySite is an extraspinal focus (not "level not recorded"); §4 v3: the
    # cards cite it by display, never by code alone.
    from tests.unit.decision.test_wording import decisions_for, surfaces

    cards, card_text, text, _ = surfaces(decisions_for(_with_second_metastasis(code, display)))
    for said in (card_text, text):
        assert "level not recorded" not in said and "not understood" not in said
        assert "compression elsewhere" not in said
    for topic in ("tomita", "tokuhashi-revised"):
        card = next(c for c in cards if c.source.topic and c.source.topic.code == topic)
        assert f"extraspinal bone lesion {display}" in card.detail
        assert code not in card.detail
        assert "range spans" not in card.detail


def test_a_pelvis_only_metastasis_never_asks_for_a_vertebral_level():
    from tests.unit.decision.test_wording import decisions_for, surfaces

    decisions = decisions_for(_unplaced(_site("12921003", "Pelvic structure")))
    _, card_text, text, _ = surfaces(decisions)
    for said in (card_text, text):
        assert "SINS cannot be placed" not in said
        assert "record the bone metastasis's level" not in said


def test_mechanical_pain_within_a_region_sited_metastasis_makes_the_sins_card_a_warning():
    # §4 v3: an untreated level with current mechanical pain is at least a warning; the pain at
    # T8, within the thoracic spine the metastasis is recorded at, is at a possible lesion level.
    from tests.support.records import finding
    from tests.unit.decision.test_wording import decisions_for, surfaces

    pain = finding("t8-pain", "spinal-pain", "mechanical", level="T8")
    decisions = decisions_for(_unplaced(_site("122495006", "Thoracic spine structure"), pain))
    card = _sins_card(decisions)
    assert card.indicator == "warning"
    assert "T8" in card.summary and "findings only" in card.summary
    _, card_text, text, _ = surfaces(decisions)
    for said in (card_text, text):
        assert "where no metastasis is recorded" not in said
        assert "names no spinal level: Condition" not in said  # the garbled line


def test_what_would_settle_a_range_names_findings_by_display_not_code():
    # §4 v3: details use displays, not codes — "record a Frankel grade", not "frankel-grade".
    from tests.support.records import SNOMED, condition, patient
    from tests.unit.decision.test_wording import decisions_for, surfaces

    finding_codes = json.loads((ROOT / "mappings" / "CodeSystem-finding.json").read_text())
    words = {"non-mechanical", "pain-free", "non-ambulatory"}  # codes that are plain English
    codes = {c["code"] for c in finding_codes["concept"] if "-" in c["code"]} - words
    record = [patient(), condition("primary", "C50.911"), condition("met", "C79.51"),
              condition("liver", "C78.7"), condition("bone", "94222008", system=SNOMED)]  # fmt: skip
    cards, _, text, _ = surfaces(decisions_for(record))
    settle = [
        line
        for said in [text, *(c.detail or "" for c in cards)]
        for line in said.splitlines()
        if "record " in line
    ]
    assert settle
    for line in settle:
        assert not [code for code in codes if code in line], line


def _without_time(resource):
    del resource["effectiveDateTime"]
    return resource


def _month_of_march(resources):
    for r in resources:
        if r["id"].startswith("t12-"):
            r["effectiveDateTime"] = "2024-03"
    return resources


@pytest.mark.parametrize(
    ("resources", "card", "row"),
    [
        # an undated final Frankel C: the Tokuhashi card's palsy row
        (
            _default(drop=("frankel",), extra=(
                _without_time(_finding("frankel", "frankel-grade", "frankel-c")),)),
            "Revised Tokuhashi",
            "| Frankel grade: Frankel C: motor useless (no date recorded) |",
        ),
        # an undated or a dated visceral metastases finding: the Tomita card's row
        (
            _default(extra=(_without_time(_finding("v", "visceral-metastases", "none")),)),
            "Tomita",
            "| Visceral metastases (Tomita): None (no date recorded) |",
        ),
        (
            _default(extra=(_finding("v", "visceral-metastases", "none", when="2023-03"),)),
            "Tomita",
            "| Visceral metastases (Tomita): None (Mar 2023, dated) |",
        ),
        # SINS findings of March alone, past their window: the SINS card's rows
        (
            _month_of_march(_default()),
            "SINS",
            "| Bone lesion quality: Lytic (Mar 2024, dated) |",
        ),
        # a KPS of a day past its window: the Tokuhashi card's row
        (
            _default(drop=("kps",), extra=(_measurement("kps", "89243-0", 80, when="2024-03-01"),)),
            "Revised Tokuhashi",
            "| performance status: Karnofsky 80 (1 Mar 2024, dated) |",
        ),
    ],
)  # fmt: skip
def test_a_dated_input_is_dated_once_in_one_parenthesis_on_the_score_cards(resources, card, row):
    # The day and the dated mark in one parenthesis, as the page, the order card's summary and
    # the form's report note say them ("May 2024, dated"); a finding with no time "no date
    # recorded", which says why it is dated. Never "(no date recorded) (dated)".
    from tests.unit.decision.test_wording import decisions_for

    decisions = decisions_for(resources)
    cards = score_cards(decisions, "h")
    (shown,) = [c for c in cards if c.summary.startswith(card)]
    assert row in (shown.detail or "")
    every = "\n".join(f"{c.summary}\n{c.detail or ''}" for c in cards)
    assert ") (dated)" not in every
