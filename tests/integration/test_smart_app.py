"""The patient page as a SMART app, end to end (contract §7): a real ``spinemets serve``, HAPI for
the FHIR side, the launch-context test server of tests/support/smart_server.py as the EHR's
authorization server (and the guard in front of HAPI), and a real headless Chromium.

An mCODE example patient (jenny-m, breast cancer) with a bone metastasis at T8 added and no
finding of ours: the SINS card says "not assessed at T8" and links to the sins form at T8; the
EHR launches the link, the form is filled with the keyboard and saved; the Observations are on
HAPI, recorded by the signed-in practitioner (the id_token's fhirUser), and the next card shows
the new, certain SINS. Screenshots go to build/test-artifacts/.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import (
    axe_source,
    browser,  # noqa: F401  (the fixture)
    screenshot,
)
from tests.browser.pages import AXE_RUN
from tests.integration.conftest import ROOT, count, free_port
from tests.integration.interop import mcode_examples
from tests.integration.serve_process import clean_env, command
from tests.support.smart_server import Running, SmartServer

pytestmark = [pytest.mark.integration, pytest.mark.browser]
# Screenshots of the card, the form and the result: kept after the run (build/ is git-ignored).
SHOTS = (
    Path(os.environ.get("SPINEMETS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
    / "smart-app"
)

SOURCE = "cancer-patient-jenny-m"
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
SNOMED = "http://snomed.info/sct"
# (finding, presses of the down arrow from "not known"): mechanical pain 3, lytic 2, normal
# alignment 0, collapse < 50 % 2, unilateral posterolateral 1; T8 is thoracic (rigid) 1 → 9.
KEYS = (("spinal-pain", 1), ("bone-lesion-quality", 1), ("spinal-alignment", 3),
        ("vertebral-body-collapse", 2), ("posterolateral-involvement", 2))  # fmt: skip


def _prune(value: Any, keep: set[str]) -> Any:
    """``value`` without references to resources that are not uploaded with it."""
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str) and ref not in keep:
            return None
        out = {k: _prune(v, keep) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(v, keep) for v in value) if v not in (None, [], {})]
    return value


def _load_patient(base: str) -> str:
    """jenny-m's Patient, Conditions and Observations under a fresh id, plus a bone metastasis
    at T8, in one transaction."""
    pid = f"jenny-{uuid.uuid4().hex[:8]}"
    chosen = [r for r in mcode_examples()
              if r["resourceType"] in ("Patient", "Condition", "Observation")
              and (r["id"] == SOURCE or f"Patient/{SOURCE}" in json.dumps(r))]  # fmt: skip
    chosen = [json.loads(json.dumps(r).replace(SOURCE, pid)) for r in chosen]
    chosen.append({
        "resourceType": "Condition", "id": f"{pid}-met-t8",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
        "code": {"coding": [{"system": SNOMED, "code": "94222008", "display": "Secondary malignant neoplasm of bone"}]},
        "bodySite": [{"coding": [{"system": SNOMED, "code": "77435000", "display": "Structure of body of eighth thoracic vertebra"}]}],
        "subject": {"reference": f"Patient/{pid}"}, "onsetDateTime": "2026-10-01",
    })  # fmt: skip
    keep = {f"{r['resourceType']}/{r['id']}" for r in chosen}
    entries = [{"resource": _prune(r, keep),
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
               for r in chosen]  # fmt: skip
    answer = httpx.post(base, json={"resourceType": "Bundle", "type": "transaction",
                                    "entry": entries}, timeout=120)  # fmt: skip
    assert answer.status_code == 200, answer.text[:2000]
    return pid


def _sins_card(serve: str, fhir: str, pid: str) -> dict[str, Any]:
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir,
            "context": {"userId": "Practitioner/example", "patientId": pid}}  # fmt: skip
    answer = httpx.post(f"{serve}/cds-services/spinemets-scores", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    for card in cards:  # every other card links to the page, the prognostic ones first to
        # the staging form while staging rests on coded diagnoses alone (this record's case)
        topic = card["source"].get("topic", {}).get("code")
        if topic in ("tomita", "tokuhashi-revised"):
            contexts = [link.get("appContext") for link in card["links"]]
            assert contexts == ['{"form":"staging"}', None], card
        elif topic != "sins":
            assert [link["type"] for link in card["links"]] == ["smart"], card
    return next(c for c in cards if c["source"].get("topic", {}).get("code") == "sins")


def _start_serve(tmp: Path, port: int, smart: SmartServer, log: Any) -> subprocess.Popen[bytes]:
    base = f"http://127.0.0.1:{port}"
    env = clean_env(public_base_url=base, smart_fhir_servers=smart.fhir_base,
                    smart_client_id="spinemets", fhir_http_loopback="true",
                    access_log="true")  # fmt: skip
    env["XDG_STATE_HOME"] = str(tmp / "state")
    process = subprocess.Popen([*command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, (tmp / "serve.log").read_text()
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.1)


def _ehr_page(tmp: Path, card: dict[str, Any], launches: list[str]) -> Path:
    """The card as an EHR shows it: summary, detail and its launch links."""
    links = "".join(f'<li><a href="{escape(url)}">{escape(link["label"])}</a></li>'
                    for link, url in zip(card["links"], launches, strict=True))  # fmt: skip
    page = tmp / "card.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>EHR card</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>'
        f'<h1>{escape(card["summary"])}</h1><pre style="white-space:pre-wrap">'
        f"{escape(card.get('detail', ''))}</pre><ul>{links}</ul></main></body></html>",
        encoding="utf-8",
    )
    return page


def _accessible(driver: Any, name: str) -> list[Path]:
    shots = [screenshot(driver, name, 1100), screenshot(driver, name, 390)]
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at 390px"
    driver.execute_script(axe_source())
    violations = driver.execute_async_script(AXE_RUN)
    assert violations == [], violations
    return shots


def _tab_to(driver: Any, name: str) -> None:
    """Tab from where the focus is until it is on the radio group ``name``."""
    for _ in range(300):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.execute_script("return document.activeElement.name") == name:
            return
    raise AssertionError(f"the keyboard never reaches {name}")


def test_launch_from_the_card_fill_the_sins_form_and_see_the_new_sins(
    fhir_base,  # first: HAPI starts before the browser opens ports of its own
    browser,  # noqa: F811  (the fixture imported above)
    tmp_path,
    monkeypatch,
):
    from tests.browser import conftest as shots_dir

    monkeypatch.setattr(shots_dir, "ARTIFACTS", SHOTS)
    pid = _load_patient(fhir_base)
    port = free_port()
    user = f"Practitioner/{pid}-dr"  # the signed-in clinician, a Practitioner of the record
    practitioner = {"resourceType": "Practitioner", "id": f"{pid}-dr", "active": True}
    assert httpx.put(f"{fhir_base}/{user}", json=practitioner, timeout=60).is_success
    smart = SmartServer(fhir_base, "spinemets", f"http://127.0.0.1:{port}/smart/callback",
                        user=user)  # fmt: skip
    with Running(smart, free_port()), (tmp_path / "serve.log").open("wb") as log:
        serve = _start_serve(tmp_path, port, smart, log)
        try:
            shots = _flow(browser, tmp_path, f"http://127.0.0.1:{port}", smart, fhir_base, pid)
        finally:
            serve.terminate()
            serve.wait(20)
    log = (tmp_path / "serve.log").read_text()
    for token in [*smart.tokens, *smart.refresh_tokens]:
        assert token not in log
    assert "/smart/callback" in log, (
        "the access log is on: the callback is logged, without its query"
    )
    assert "code=" not in log and "launch=" not in log, "a code or launch id was logged"
    for shot in shots:
        print(f"screenshot: {shot}")


def _flow(
    driver: Any, tmp: Path, serve: str, smart: SmartServer, fhir: str, pid: str
) -> list[Path]:
    card = _sins_card(serve, fhir, pid)
    assert card["summary"].startswith("SINS not assessed at T8"), card["summary"]
    assert card["indicator"] == "info"
    [link] = card["links"]
    assert link["type"] == "smart" and link["url"] == f"{serve}/smart/launch"
    assert json.loads(link["appContext"]) == {"form": "sins", "level": "T8"}
    launch = smart.launch(pid, link["appContext"])
    url = f"{link['url']}?{urlencode({'iss': smart.fhir_base, 'launch': launch})}"
    driver.get(_ehr_page(tmp, card, [url]).as_uri())
    shots = [screenshot(driver, "card", 1100)]
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # the link, by keyboard
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    _wait_for(driver, "/smart/form/sins")
    assert smart.refusals == []
    assert "Level" in driver.find_element(By.ID, "level-T8").text
    shots += _accessible(driver, "form")
    driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur()")
    for finding, presses in KEYS:
        _tab_to(driver, f"T8|{finding}")
        for _ in range(presses):
            driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    for _ in range(5):  # past the questions left unanswered ("not known"), to the button
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.switch_to.active_element.tag_name == "button":
            break
    assert driver.switch_to.active_element.tag_name == "button"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    _wait_for(driver, "Saved to the record")
    notice = driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "SINS at T8 is now 9, potentially unstable" in notice, notice
    shown = driver.find_element(By.CSS_SELECTOR, '[data-score="sins-T8"]').text
    assert shown == "9"
    shots += _accessible(driver, "result")
    assert count(fhir, f"Observation?patient={pid}&code={FINDING}|") == 5
    assert count(fhir, f"QuestionnaireResponse?patient={pid}") == 1
    user = f"Practitioner/{pid}-dr"
    assert count(fhir, f"QuestionnaireResponse?patient={pid}&author={user}") == 1
    assert count(fhir, f"Observation?patient={pid}&code={FINDING}|&performer={user}") == 5
    # A level the record places no metastasis at (compression an MRI reports there) joins the
    # neurology form, in a real browser, and the page stays accessible; adding it writes nothing.
    # (The SINS form offers none here: T8's metastasis has its level, and a SINS finding where no
    # metastasis is recorded is not used.)
    driver.get(f"{serve}/smart/form/sins")
    assert not driver.find_elements(By.ID, "add-level")
    driver.get(f"{serve}/smart/form/neurology")
    Select(driver.find_element(By.ID, "add-level")).select_by_value("L1")
    driver.find_element(By.NAME, "add").send_keys(Keys.ENTER)
    _wait_for(driver, 'id="level-L1"')
    notice = driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "L1 added" in notice, notice
    shots += _accessible(driver, "added-level")
    assert count(fhir, f"QuestionnaireResponse?patient={pid}") == 1
    after = _sins_card(serve, fhir, pid)
    assert "SINS 9" in after["summary"] and "T8" in after["summary"], after["summary"]
    assert all("appContext" not in link for link in after["links"])
    return shots


def _wait_for(driver: Any, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in driver.current_url and text not in driver.page_source:
        assert time.monotonic() < deadline, f"never saw {text!r}: {driver.current_url}"
        time.sleep(0.1)
