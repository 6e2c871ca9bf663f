"""A real headless Chromium (Debian's chromium and chromium-driver, driven by selenium).

Nothing is downloaded at test time: the browser and its driver come from the distribution and
axe-core from the npm cache that ``scripts/browser-deps`` fills (``.ci/run`` calls it). Without
them the tests are skipped on a developer's machine and fail in CI (``CI`` set).
Screenshots go to ``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SPINEMETS_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)  # fmt: skip


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run scripts/browser-deps)", pytrace=False)
    pytest.skip(f"{reason}: run scripts/browser-deps")


def axe_source() -> str:
    version = re.search(r"AXE_VERSION=(\S+)", (ROOT / "scripts" / "browser-deps").read_text())
    assert version is not None
    cache = Path(os.environ.get("SPINEMETS_CACHE", Path.home() / ".cache" / "spinemets"))
    path = cache / f"axe-core-{version.group(1)}" / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        _missing(f"axe-core {version.group(1)} is not in {cache}")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        _missing("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="spinemets-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver: Any, name: str, width: int) -> Path:
    """The whole page at a viewport width, as a PNG test artefact."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": width < 600},
    )
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{width}px.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
