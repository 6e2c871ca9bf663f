"""The v3 tools on every surface (contract §1 v3, §4 v3): a patient with everything recorded shows
all four scores and the NOMS paths with their sources in the text report and on the page; the
Tokuhashi card names the other tools' results; the procedure-check card carries the framework's
path at the ordered level as context; a haematological primary marks them not validated."""

from __future__ import annotations

from pathlib import Path

from adapter import cli
from adapter.cds.cards import score_cards
from adapter.cds.procedure import order_cards
from adapter.decision import decide
from adapter.fhir.read.orders import read_orders
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, read_patients, score_patient
from adapter.procedure.orders import procedure_orders
from adapter.vocabulary.cards import markdown_text
from tests.support.records import NOW, P, condition, default_patient, draft_orders, finding, order

ROOT = Path(__file__).resolve().parents[2]
EVERYTHING = ROOT / "fixtures" / "more" / "everything-recorded.json"
AT = "2025-01-01T00:00:00Z"
TERM = default_terminology()


def _cli(path: Path, capsys, fmt: str) -> str:
    assert cli.main(["score", str(path), "--now", AT, "--format", fmt]) == 0
    return capsys.readouterr().out


def test_the_text_report_shows_every_tool_and_the_noms_path_with_sources(capsys):
    text = _cli(EVERYTHING, capsys, "text")
    for heading in ("Bauer (1995): 5 — group 4–5: 1-year survival 50 %",
                    "Modified Bauer (2008): 4 — mid-term local control",
                    "NESMS (2015): 3 — no label",
                    "van der Linden (2005): 6 — group C"):  # fmt: skip
        assert heading in text, heading
    assert "Published strategy for this band (Leithner 2008)" in text
    assert "NOMS framework (Laufer 2013): The framework's path" in text
    assert "T8: conventional external-beam radiotherapy (cEBRT) [BS06, MSK10]" in text
    assert "Sources: BS06: Bilsky, Smith" in text


def test_the_page_shows_every_tool_and_the_noms_path_with_sources(capsys):
    html = _cli(EVERYTHING, capsys, "html")
    for code, total in (("bauer-original", 5), ("bauer-modified", 4), ("nesms", 3),
                        ("van-der-linden", 6)):  # fmt: skip
        assert f'data-score="{code}">{total}<' in html, code
    assert 'id="noms"' in html and 'data-noms="T8"' in html
    assert "conventional external-beam radiotherapy (cEBRT) [BS06, MSK10]" in html
    assert "MSK10: MSKCC NOMS review (2010)" in html


def _decided(resources, orders=()):
    data = patient_records(resources, P)
    assert data is not None
    return decide(score_patient(data, TERM, now=parse_time(NOW)), orders)


def test_the_tokuhashi_card_names_the_other_tools_and_their_own_cards_stay_off():
    (data,) = read_patients(str(EVERYTHING), [])
    decisions = decide(score_patient(data, TERM, now=parse_time(AT)))
    cards = score_cards(decisions, "hook")
    topics = [c.source.topic.code for c in cards if c.source.topic is not None]
    assert "tokuhashi-revised" in topics and not {"bauer-original", "nesms"} & set(topics)
    tokuhashi = next(
        c for c in cards if c.source.topic and c.source.topic.code == "tokuhashi-revised"
    )
    assert "Other tools: Bauer 5, Modified Bauer 4, NESMS 3, van der Linden 6 — see the page" in (
        tokuhashi.detail
    )
    shown = score_cards(decisions, "hook", {"nesms"})
    assert "nesms" in [c.source.topic.code for c in shown if c.source.topic is not None]


def test_the_procedure_card_carries_the_framework_path_at_the_ordered_level():
    extra = (
        finding("stab", "spinal-stability", "stable", level="T12"),
        finding("rs", "radiosensitivity", "radiosensitive"),
        finding("fit", "surgery-tolerance", "able"),
    )
    orders = procedure_orders(
        read_orders(draft_orders(order("o", "22510", "T12"))), None, "order-sign", TERM
    )
    decisions = _decided(default_patient(extra=extra), orders)
    (card,) = order_cards(decisions, "hook")
    path = (
        "NOMS framework (Laufer 2013) at T12, the framework's path: conventional external-beam "
        "radiotherapy (cEBRT) [BS06, MSK10]."
    )
    assert markdown_text(path) in card.detail  # as text: the brackets make no link


def test_a_haematological_primary_marks_the_new_tools_not_validated():
    resources = default_patient(drop=("primary",), extra=(condition("primary", "C90.00"),))
    titles = [s.title for s in _decided(resources).prognosis]
    for name in ("Bauer (1995)", "Modified Bauer (2008)", "NESMS (2015)", "van der Linden (2005)"):
        assert f"{name} (not validated in haematological malignancy)" in titles, name
