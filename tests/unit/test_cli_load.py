"""``spinemets load``: a fixture into a FHIR server as PUT transactions, ids kept."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from adapter import cli

ROOT = Path(__file__).resolve().parents[2]
FHIR = "http://fhir.example/fhir"
SEED = ROOT / "fixtures" / "seed" / "seed-07.json"


def test_a_fixture_is_put_resource_by_resource(respx_mock, capsys):
    route = respx_mock.post(f"{FHIR}/").mock(
        return_value=httpx.Response(
            200, json={"resourceType": "Bundle", "type": "transaction-response"}
        )
    )
    assert cli.main(["load", str(SEED), "--fhir-server", FHIR]) == 0
    sent = json.loads(route.calls.last.request.content)
    resources = [e["resource"] for e in json.loads(SEED.read_text())["entry"]]
    assert sent["type"] == "transaction"
    assert [e["request"] for e in sent["entry"]] == [
        {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"} for r in resources
    ]
    assert capsys.readouterr().out == f"{SEED}: {len(resources)} resources\n"


def test_ndjson_is_read_and_a_resource_without_id_is_refused(tmp_path, respx_mock, capsys):
    good = tmp_path / "good.ndjson"
    good.write_text(
        '{"resourceType": "Patient", "id": "a"}\n\n{"resourceType": "Patient", "id": "b"}\n'
    )
    respx_mock.post(f"{FHIR}/").mock(
        return_value=httpx.Response(200, json={"resourceType": "Bundle"})
    )
    assert cli.main(["load", str(good), "--fhir-server", FHIR]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"resourceType": "Patient"}\n')
    assert cli.main(["load", str(bad), "--fhir-server", FHIR]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "resource 1 has no resourceType or id" in err


def test_a_bundle_with_malformed_entries_exits_2_with_one_line(tmp_path, capsys):
    for body in (
        '{"resourceType": "Bundle", "entry": 5}',
        '{"resourceType": "Bundle", "entry": [7]}',
    ):
        path = tmp_path / "bad.json"
        path.write_text(body)
        assert cli.main(["load", str(path), "--fhir-server", FHIR]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "unusable input" in err


def test_an_empty_file_exits_2_as_every_other_command_says_it(tmp_path, capsys):
    """`load /dev/null` said "0 resources" and exit 0, even against a server it never reached;
    score, cohort and questionnaire say "the input is empty" with exit 2."""
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    assert cli.main(["load", str(empty), "--fhir-server", "http://127.0.0.1:9/fhir"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty" in err
