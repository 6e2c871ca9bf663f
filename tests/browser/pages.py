"""What every page must do in a real browser, checked the same way for each page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import axe_source, screenshot

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.map(n => n.target.join(' '))}))))
   .catch(e => done({error: String(e)}));
"""


def open_page(driver: Any, path: Path, name: str) -> list[Path]:
    """Open a page; no console errors, no network request, no sideways scrolling on a phone;
    screenshots at desktop and phone widths; no serious or critical axe-core violation."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert fetched == [], f"the page loaded {fetched}: it must be self-contained"
    shots = [screenshot(driver, name, 1100), screenshot(driver, name, 390)]
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1, f"{name} scrolls sideways by {overflow}px on a 390px phone"
    driver.execute_script(axe_source())
    violations = driver.execute_async_script(AXE_RUN)
    assert not isinstance(violations, dict), violations
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], bad
    return shots


def text_of(driver: Any, selector: str) -> dict[str, str]:
    """Each element's attribute value → its text, for every element matching ``[attr]``."""
    attr = selector.strip("[]")
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll(arguments[0])]"
        ".map(e => [e.getAttribute(arguments[1]), e.textContent.trim()]))",
        selector,
        attr,
    )
