"""The patient page and the cohort report in a real headless Chromium.

Each page: no console error, nothing fetched (self-contained), no sideways scrolling on a phone,
no serious or critical axe-core violation, screenshots as artefacts; and every number it shows
equals the JSON the same command prints.
"""

from __future__ import annotations

import json

import pytest

from adapter import cli
from tests.browser.conftest import ROOT
from tests.browser.pages import open_page, text_of

pytestmark = pytest.mark.browser
NOW = "2026-11-26T00:00:00Z"
SEED = sorted(str(p) for p in (ROOT / "fixtures" / "seed").glob("seed-*.json"))


def _json_at(obj, dotted: str):
    for part in dotted.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def shown(value) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.2f}"


def test_cohort_report_shows_the_json_numbers(browser, tmp_path, capsys):
    page = tmp_path / "cohort.html"
    assert cli.main(["cohort", *SEED, "--now", NOW, "--html", str(page)]) == 0
    summary = json.loads(capsys.readouterr().out)
    shots = open_page(browser, page, "cohort")
    cells = text_of(browser, "[data-key]")
    assert len(cells) > 40
    for key, text in cells.items():
        value = _json_at(summary, key)
        if key == "survival.median_months" and not summary["survival"]["median_reached"]:
            assert text == "not reached"
        else:
            assert text == shown(value), (key, text, value)
    assert all(p.stat().st_size > 10_000 for p in shots)


@pytest.mark.parametrize("name", ["seed-07", "seed-15"])
def test_patient_page_shows_the_json_numbers(browser, tmp_path, capsys, name):
    path = ROOT / "fixtures" / "seed" / f"{name}.json"
    page = tmp_path / f"{name}.html"
    assert (
        cli.main(["score", str(path), "--now", NOW, "--format", "html", "--output", str(page)]) == 0
    )
    capsys.readouterr()
    assert cli.main(["score", str(path), "--now", NOW]) == 0
    bundle = json.loads(capsys.readouterr().out)
    open_page(browser, page, name)
    totals = text_of(browser, "[data-score]")
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    scores = [o for o in observations if o["code"]["coding"][0]["code"] != "outcome-trajectory"]
    assert len(totals) == len(scores)
    for obs in scores:
        code = obs["code"]["coding"][0]["code"]
        key = code + (f"-{obs['bodySite']['coding'][0]['code']}" if "bodySite" in obs else "")
        want = (
            str(obs["valueInteger"])
            if "valueInteger" in obs
            else (f"{obs['valueRange']['low']['value']}–{obs['valueRange']['high']['value']}")
        )
        assert totals[key] == want, key
    outcome = next(
        o for o in observations if o["code"]["coding"][0]["code"] == "outcome-trajectory"
    )
    shown_outcomes = text_of(browser, "[data-outcome]")
    for component in outcome["component"]:
        code = component["code"]["coding"][0]["code"]
        if code.endswith("-change"):
            continue
        value = component.get("valueQuantity", {}).get("value")
        assert shown_outcomes[code] == ("–" if value is None else f"{value:.1f}"), code


def _patient_page(tmp_path, capsys, resources, name: str):
    from tests.support.records import NOW as RECORDS_NOW

    source = tmp_path / f"{name}.json"
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    source.write_text(json.dumps(bundle))
    page = tmp_path / f"{name}.html"
    args = ["score", str(source), "--now", RECORDS_NOW, "--format", "html", "--output", str(page)]
    assert cli.main(args) == 0
    capsys.readouterr()
    return page


def test_the_page_heads_with_compression_and_the_orders_verdict(browser, tmp_path, capsys):
    from tests.support.records import default_patient, finding, order

    frankel = finding("frankel", "frankel-grade", "frankel-c")
    resources = [*default_patient(drop=("frankel",), extra=(frankel,)), order("vp", "22510", "T12")]
    open_page(browser, _patient_page(tmp_path, capsys, resources, "compression"), "compression")
    alert = text_of(browser, "[data-neurology]")
    assert list(alert) == ["critical"]
    assert "Frankel/AIS C" in alert["critical"] and "MSCC" in alert["critical"]
    assert (
        browser.execute_script(
            "return document.querySelector('[data-neurology]').getAttribute('role')"
        )
        == "alert"
    )
    verdicts = text_of(browser, "[data-verdict]")
    assert list(verdicts) == ["critical"] and "suspected cord compression" in verdicts["critical"]
    above = browser.execute_script(
        "const top = s => document.querySelector(s).getBoundingClientRect().top;"
        "return top('[data-neurology]') < top('[data-order]') && top('[data-order]') < top('figure');"
    )
    assert above, "compression, then the orders, head the page above the scores"


def test_a_deceased_patients_page_says_so_and_recommends_nothing(browser, tmp_path, capsys):
    from tests.support.records import default_patient, finding

    frankel = finding("frankel", "frankel-grade", "frankel-c")
    resources = default_patient(drop=("frankel",), extra=(frankel,))
    resources[0]["deceasedDateTime"] = "2024-05-31"
    open_page(browser, _patient_page(tmp_path, capsys, resources, "deceased"), "deceased")
    assert text_of(browser, "[data-deceased]")["31 May 2024"].startswith("Deceased 31 May 2024")
    assert text_of(browser, "[data-neurology]") == {}
    body = browser.execute_script("return document.body.innerText")
    assert "recommended" not in body and "MSCC" not in body and "Published strategy" not in body


# The contract v3 fixtures whose Why bullet is about the page (fixtures/v3/, issue 19): bullet 9
# (a neurology alert, a deceased patient), bullet 1 (compression elsewhere), bullet 2 (an old grade
# is no critical alert), bullet 10 (a grade without a level).
V3_PAGES = [
    "v3-b9-frankel-c",
    "v3-b9-deceased-frankel-c",
    "v3-b1-cord-elsewhere",
    "v3-b2-decompressed-80d",
    "v3-b10-level-not-recorded",
]


@pytest.mark.parametrize("name", V3_PAGES)
def test_v3_fixture_pages_show_what_is_expected(browser, tmp_path, capsys, name):
    from tests.support import v3_fixtures as v3

    want = v3.expected(name)
    source = tmp_path / f"{name}.json"
    entries = [{"resource": r} for r in [*v3.resources(name), *v3.orders(name)]]
    source.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    )
    pages = tmp_path / "pages"
    pages.mkdir()
    args = ["score", str(source), "--now", v3.NOW, "--format", "html", "--output", str(pages)]
    assert cli.main(args) == 0
    capsys.readouterr()
    open_page(browser, pages / f"{want['patient']}.html", name)
    markup = browser.execute_script("return document.documentElement.outerHTML")
    shown = browser.execute_script("return document.body.innerText")
    for text in want["page"]["has"]:  # attributes in the markup, words where a reader sees them
        assert text in (markup if text.startswith("data-") else shown), text
    for text in want["page"]["lacks"]:
        assert text not in (markup if text.startswith("data-") else shown), text
    alert = text_of(browser, "[data-neurology]")
    if "deceased" in name:
        assert alert == {} and "recommended" not in shown and "MSCC" not in shown
        assert list(text_of(browser, "[data-deceased]")) == [want["page"]["has"][0].split('"')[1]]
    elif alert.get("critical"):
        role = "return document.querySelector('[data-neurology]').getAttribute('role')"
        assert browser.execute_script(role) == "alert"
        assert "MSCC" in alert["critical"]
