"""The static page and the SMART app share one header and the whole spine; the static page keeps
working as a file, with no server, and has no axe-core violation of any impact."""

from __future__ import annotations

import pytest

from adapter import cli
from tests.browser.conftest import ROOT, axe_source
from tests.browser.pages import AXE_RUN, open_page

pytestmark = pytest.mark.browser
NOW = "2026-11-26T00:00:00Z"


@pytest.mark.parametrize("name", ["seed-07", "seed-15"])
def test_the_static_page_names_the_patient_and_draws_c1_to_s5(browser, tmp_path, capsys, name):
    page = tmp_path / f"{name}.html"
    source = ROOT / "fixtures" / "seed" / f"{name}.json"
    assert (
        cli.main(["score", str(source), "--now", NOW, "--format", "html", "--output", str(page)])
        == 0
    )
    capsys.readouterr()
    open_page(browser, page, f"{name}-header")
    header = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('[data-header]')]"
        ".map(e => [e.dataset.header, e.textContent]))"
    )
    assert set(header) == {"name", "born", "record-number"}
    assert all(header.values())
    subtitle = browser.find_element("css selector", "header p.meta").text
    assert subtitle == "Computed 26 Nov 2026, 00:00:00 UTC by spinemets."
    labels = browser.execute_script(
        "return [...document.querySelectorAll('svg.spine text[text-anchor=end]')]"
        ".map(e => e.textContent)"
    )
    assert labels[0] == "C1" and labels[-1] == "S5" and len(labels) == 29
    browser.execute_script(axe_source())
    assert browser.execute_async_script(AXE_RUN) == []
