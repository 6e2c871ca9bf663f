"""The HTML pages as files: self-contained, what they show, and the command line around them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapter import cli
from adapter.render.html import fmt, table
from adapter.render.spine import spine_svg

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "fixtures" / "seed"
NOW = "2026-11-26T00:00:00Z"


def page_of(path: Path, capsys, *args: str) -> str:
    assert cli.main(["score", str(path), "--now", NOW, "--format", "html", *args]) == 0
    return capsys.readouterr().out


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no external resource"
    assert "<script" not in html and "@import" not in html
    assert '<meta name="viewport"' in html and "@media print" in html


def test_patient_page_draws_the_spine_scores_and_outcomes(capsys):
    html = page_of(SEED / "seed-07.json", capsys)
    assert_self_contained(html)
    # Every scored level was fixed with screws on 22 May: the drawing says so, as the card does;
    # the scores before the fixation stay in the tables.
    assert "L4 fixed · SINS not applicable" in html and "SINS 13 · unstable" not in html
    assert 'data-score="sins-L4">13<' in html and 'data-score="tomita">6<' in html
    assert "Observation/seed-07-spinal-pain-l4, 20 May 2024" in html
    assert "After the procedure" in html and 'data-outcome="pain-7d"' in html
    assert (
        "Index procedure: <strong>vertebroplasty and fixation at L2, L3, L4, L5 on 22 May 2024"
        in html
    )
    assert html.count('<svg role="img"') == 2  # pain and Barthel plots


def test_patient_page_says_what_would_settle_a_range(capsys):
    html = page_of(ROOT / "fixtures" / "edge" / "ecog-1-instead-of-kps.json", capsys)
    assert "Missing or uncertain, and what would settle it" in html and "89243-0" in html
    assert "After the procedure" not in html  # no index procedure, no outcome section


def test_pages_to_a_directory_and_the_errors(tmp_path, capsys):
    two = ROOT / "fixtures" / "edge" / "two-patients-one-bundle.json"
    assert cli.main(["score", str(two), "--format", "html", "--output", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two-a.html", "two-b.html"]
    assert cli.main(["score", str(two), "--format", "html"]) == 2
    assert "--output DIRECTORY" in capsys.readouterr().err
    assert cli.main(["score", str(two), "--output", str(tmp_path)]) == 2
    one = tmp_path / "one.html"
    assert (
        cli.main(["score", str(SEED / "seed-01.json"), "--format", "html", "--output", str(one)])
        == 0
    )
    assert one.read_text().startswith("<!DOCTYPE html>")
    assert (
        cli.main(
            [
                "score",
                str(SEED / "seed-01.json"),
                "--format",
                "html",
                "--output",
                "/nonexistent/x.html",
            ]
        )
        == 2
    )


def test_spine_and_helpers():
    svg = spine_svg(
        {"T12": ("11", "sins-potentially-unstable"), "L1": ("7–13", None)},
        {"T12": "vertebroplasty"},
    )
    assert "T12 SINS 11 (potentially unstable)" in svg and "band not settled" in svg
    assert "Treated: T12 (vertebroplasty)" in svg and svg.count("<circle") == 1
    assert "Scored levels: none" in spine_svg({})
    assert fmt(None) == "–" and fmt(3) == "3" and fmt(2.5) == "2.50"
    assert '<th scope="row">a</th>' in table(("x", "y"), [("a", "b")], caption="c")


@pytest.mark.parametrize("name", ["seed-15", "seed-19"])
def test_outcome_numbers_on_the_page(capsys, name):
    html = page_of(SEED / f"{name}.json", capsys)
    values = dict(re.findall(r'data-outcome="([a-z0-9-]+)">([^<]+)<', html))
    assert set(values) == {
        f"{m}-{t}" for m in ("pain", "barthel") for t in ("baseline", "7d", "3mo", "6mo")
    }
    assert all(re.fullmatch(r"\d+\.\d", v) for v in values.values())


def test_the_spine_names_each_treated_level_s_own_procedure():
    """A level fixed with screws was drawn as "treated (vertebroplasty)"."""
    from adapter.decision import decide
    from adapter.fhir.read.timing import parse_time
    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import patient_records, score_patient
    from adapter.render.patient import patient_body
    from tests.support.records import NOW, default_patient, procedure

    records = default_patient(extra=(procedure("fx-op", "22842", "T12", when="2024-05-20T09:30:00Z"),
                                     procedure("vp", "22511", "L1", when="2024-05-21T09:30:00Z")))  # fmt: skip
    data = patient_records(records, "p")
    assert data is not None
    page = patient_body(decide(score_patient(data, default_terminology(), now=parse_time(NOW))))
    titles = re.findall(r"<title>([^<]*)</title>", page)
    t12 = [t for t in titles if t.startswith("T12")]
    assert t12 and "fixation" in t12[0] and "vertebroplasty" not in t12[0], titles
    # the card says SINS does not apply to a level fixed with screws: the drawing never bands it
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "T12 SINS" not in svg and ">SINS " not in svg.split(">T12<")[1].split("L1")[0], svg
    assert any(t.startswith("L1") and "vertebroplasty" in t for t in titles), titles


def test_the_spine_lists_treated_levels_in_anatomical_order():
    from adapter.render.spine import spine_svg

    svg = spine_svg({}, {"T12": "fixation on 10 May 2024", "T11": "fixation on 10 May 2024"})
    assert "Treated: T11 (fixation on 10 May 2024), T12" in svg, svg


def test_the_spine_says_a_level_bridged_by_screws_is_bridged_not_screwed():
    from adapter.decision import decide
    from adapter.fhir.read.timing import parse_time
    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import patient_records, score_patient
    from adapter.render.patient import patient_body
    from tests.support.records import NOW, default_patient, procedure

    screws = procedure("fx-op", "22842", "T11", "L1", when="2024-05-20T09:30:00Z")
    screws["reasonReference"] = [{"reference": "Condition/met-t12"}]
    data = patient_records(default_patient(extra=(screws,)), "p")
    assert data is not None
    page = patient_body(decide(score_patient(data, default_terminology(), now=parse_time(NOW))))
    titles = re.findall(r"<title>([^<]*)</title>", page)
    assert "T12 treated: bridged by the fixation on 20 May 2024" in titles, titles
    assert "T11 treated: fixation on 20 May 2024" in titles, titles


def _page(*extra, drop=()):
    from adapter.decision import decide
    from adapter.fhir.read.timing import parse_time
    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import patient_records, score_patient
    from adapter.render.patient import patient_body
    from tests.support.records import NOW, default_patient

    data = patient_records(default_patient(drop=drop, extra=extra), "p")
    assert data is not None
    page = patient_body(decide(score_patient(data, default_terminology(), now=parse_time(NOW))))
    return page[page.index("<svg") : page.index("</svg>")]


def test_the_spine_draws_a_bridged_level_as_the_card_says_it():
    from tests.support.records import procedure

    screws = procedure("fx-op", "22842", "T11", "L1", when="2024-05-20T09:30:00Z")
    screws["reasonReference"] = [{"reference": "Condition/met-t12"}]
    svg = _page(screws)
    assert "T12 fixed · SINS not applicable" in svg and "T12 SINS" not in svg, svg


def test_the_spine_says_a_cemented_level_s_score_is_from_before_the_cement():
    from tests.support.records import procedure

    svg = _page(procedure("vp", "22511", "T12", when="2024-05-31T09:30:00Z"))  # findings 30 May
    assert "SINS 10 before the vertebroplasty · potentially unstable" in svg, svg


def test_the_spine_draws_a_level_not_assessed_as_its_card_says_it():
    from tests.support.records import condition, finding

    svg = _page(
        condition("met-l3", "C79.51", level="L3"),
        finding("l3-pain", "spinal-pain", "mechanical", level="L3") | {"status": "preliminary"},
    )
    assert "L3 SINS not assessed" in svg and "L3 SINS 3–18" not in svg, svg


def test_a_bridged_level_at_a_glance_is_never_said_to_have_screws_in_it():
    from adapter.decision.sins import recommendation, sins_decision
    from adapter.fhir.read.timing import parse_time
    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import patient_records, score_patient
    from tests.support.records import NOW, default_patient, procedure

    screws = procedure("fx-op", "22842", "T11", "L1", when="2024-05-20T09:30:00Z")
    screws["reasonReference"] = [{"reference": "Condition/met-t12"}]
    data = patient_records(default_patient(extra=(screws,)), "p")
    assert data is not None
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    t12 = next(lv for lv in sins_decision(result).levels if lv.name == "T12")
    said = recommendation(t12, "")
    assert "fixed with screws" not in said and "bridged" in said, said


def test_the_spine_draws_a_cemented_level_never_assessed_as_not_assessed():
    """Only preliminary findings at T12, then cement: the card says "SINS not assessed"; the
    drawing said "SINS 3–18 before the vertebroplasty"."""
    from tests.support.records import default_patient, procedure

    t12 = [r for r in default_patient() if r["id"].startswith("t12-")]
    svg = _page(
        procedure("vp", "22511", "T12", when="2024-05-31T09:30:00Z"),
        *({**f, "status": "preliminary"} for f in t12),
        drop=tuple(f["id"] for f in t12),
    )
    assert "T12 SINS not assessed" in svg, svg
