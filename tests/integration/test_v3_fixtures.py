"""The contract v3 fixtures (fixtures/v3/, issue 19) through a real ``spinemets serve``: each
fixture's patient-view and order-sign requests, as an EHR would send them, against the hand-written
expectation of its cards.

A real server computes at the time of the request, so every date of a request and of its
expectation is moved by the same whole number of days, from the fixtures' computation time
(2025-01-01T00:00:00Z) to today: what is 2 days old in the fixture is 2 days old (and under one more
day) at the request, far from every window's edge the fixtures test. The server reads the fixtures'
site ConceptMap (SPINEMETS_LOCAL_PROCEDURE_MAP) as a site would configure it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from tests.integration.serve_process import clean_env, serving
from tests.support import v3_fixtures as v3

pytestmark = pytest.mark.integration
SERVICES = {"patient-view": "spinemets-scores", "order-sign": "spinemets-procedure-check"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real ``serve`` for the module: unconfigured (no issuer), the site's local map set."""
    directory: Path = tmp_path_factory.mktemp("v3-serve")
    env = clean_env(local_procedure_map=str(v3.LOCAL_MAP))
    env["XDG_STATE_HOME"] = str(directory / "state")
    with serving(env, directory) as (url, _):
        yield url


def _days() -> int:
    return (datetime.now(UTC).date() - date.fromisoformat(v3.NOW[:10])).days


def test_discovery_prefetches_adverse_events(base):
    """Why bullet 11: the cement leakage recorded as an AdverseEvent reaches the service
    through the prefetch every service asks for."""
    services = httpx.get(f"{base}/cds-services", timeout=10).json()["services"]
    for service in services:
        templates = service.get("prefetch", {}).values()
        assert any(t.startswith("AdverseEvent?") for t in templates), service["id"]


@pytest.mark.parametrize("name", v3.CASES)
def test_cards_of_a_real_serve_say_what_is_expected(base, name):
    days = _days()
    want = v3.expected(name, days)
    with httpx.Client(base_url=base, timeout=30) as client:
        for hook, body in v3.requests(name).items():
            service = SERVICES[hook]
            response = client.post(f"/cds-services/{service}", json=v3.shifted(body, days))
            assert response.status_code == 200, response.text
            if service in want["cds"]:
                v3.check_cards(response.json()["cards"], want["cds"][service], f"{name} {service}")
