"""Schemathesis against a real ``spinemets serve`` (uvicorn, httptools): no server errors.

The in-process run (tests/unit/cds/test_schema.py) goes through the ASGI app only; this one adds
the HTTP server, its protocol limits and the worker loops. Every outbound request the service
would make (a generated fhirServer) goes to a proxy on a closed loopback port, so nothing leaves
this machine.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.serve_process import clean_env, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def live_schema(tmp_path_factory):
    directory = tmp_path_factory.mktemp("live")
    env = clean_env(state_dir=str(directory / "state"), fhir_timeout="2")
    env |= {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    with serving(env, directory, log=directory / "serve.log") as (base, _):
        yield schemathesis.openapi.from_url(f"{base}/openapi.json"), directory / "serve.log"


def test_no_server_errors_over_http(live_schema):
    live_schema, log = live_schema
    # Each operation's strategy driven by hypothesis directly (schemathesis' pytest fixture
    # loader does not run under this pytest).
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) == 5  # discovery, the service calls, feedback, $populate, $extract

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, suppress_health_check=list(HealthCheck), deadline=None)
        def check(case):
            response = case.call(timeout=30)
            assert response.status_code < 500, response.text
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        check()
    # Nor a traceback or an internal error behind the answers: every log line one JSON object.
    lines = log.read_text().splitlines()
    assert lines
    entries = [json.loads(line) for line in lines]
    assert not [e for e in entries if e["level"] in ("error", "critical")]
