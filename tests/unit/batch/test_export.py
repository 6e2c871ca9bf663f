"""A server's Bulk Data export as SOURCE: kick-off, polling, downloads, credentials only where
they belong, and one-line errors. respx stands in for the server."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from adapter import cli
from adapter.batch import export
from adapter.batch.export import base_of

B = "https://fhir.example.test/r4"
STATUS = f"{B}/$export-poll-status?_jobId=j1"
KICK_OFF = f"{B}/$export?_type=Patient,Observation"
PATIENT = {"resourceType": "Patient", "id": "x1"}
KPS = {"resourceType": "Observation", "id": "k", "status": "final", "subject": {"reference": "Patient/x1"},
       "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}, "valueInteger": 60}  # fmt: skip
NOW = "2025-01-01T00:00:00Z"


@pytest.fixture
def pauses(monkeypatch):
    """The pauses between polls, taken on a clock of their own."""
    slept = []

    async def sleep(seconds):
        slept.append(seconds)

    monkeypatch.setattr(export, "_sleep", sleep)
    monkeypatch.setattr(export, "_clock", lambda: sum(slept))
    return slept


def _ndjson(*resources):
    return httpx.Response(200, content="".join(json.dumps(r) + "\n" for r in resources).encode())


def _manifest(outputs, *, token=True, errors=()):
    return httpx.Response(200, json={
        "transactionTime": NOW, "request": KICK_OFF, "requiresAccessToken": token,
        "output": [{"type": t, "url": u} for t, u in outputs], "error": list(errors)})  # fmt: skip


def _batch(source, output, *extra):
    return cli.main(
        ["batch", source, "--output", str(output), "--now", NOW, "--workers", "1", *extra]
    )


def _one_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


@respx.mock
def test_kick_off_poll_and_download_with_the_token(tmp_path, pauses, monkeypatch, capsys):
    monkeypatch.setenv("SPINEMETS_FHIR_TOKEN", "t0ken")
    kick = respx.get(f"{B}/$export").mock(
        return_value=httpx.Response(202, headers={"Content-Location": STATUS})
    )
    status = respx.get(STATUS).mock(side_effect=[
        httpx.Response(202, headers={"X-Progress": "10 %", "Retry-After": "5"}),
        httpx.Response(503, headers={"Retry-After": "600"}),
        httpx.Response(202, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
        _manifest([("Patient", f"{B}/Binary/1"), ("Observation", f"{B}/Binary/2")], errors=[
            {"type": "OperationOutcome", "url": f"{B}/Binary/3"}]),
    ])  # fmt: skip
    files = [respx.get(f"{B}/Binary/1").mock(return_value=_ndjson(PATIENT)),
             respx.get(f"{B}/Binary/2").mock(return_value=_ndjson(KPS))]  # fmt: skip
    assert _batch(KICK_OFF, tmp_path) == 0
    assert kick.calls.last.request.headers["prefer"] == "respond-async"
    assert kick.calls.last.request.url.params["_type"] == "Patient,Observation"
    assert pauses == [5.0, 120.0, 2.0]
    for route in (kick, status, *files):
        assert route.calls.last.request.headers["authorization"] == "Bearer t0ken"
    assert files[0].calls.last.request.headers["accept"] == "application/fhir+ndjson"
    captured = capsys.readouterr()
    assert captured.out.startswith("1 patients in 16 partitions")
    assert "the server listed 1 export error file(s)" in captured.err
    assert not (tmp_path / "_export").exists()
    # The downloaded patient was read and scored: with no bone metastasis, for nothing, and said.
    outcomes = [
        json.loads(line)
        for p in tmp_path.glob("OperationOutcome.*.ndjson")
        for line in p.read_text().splitlines()
    ]
    said = [i["diagnostics"] for o in outcomes for i in o["issue"]]
    assert "Patient/x1: no bone-metastasis Condition: no score written" in " ".join(said)
    assert not list(tmp_path.glob("Observation.*.ndjson"))


@respx.mock
def test_files_elsewhere_get_no_credentials_and_only_when_none_are_needed(
    tmp_path, pauses, monkeypatch, capsys
):
    monkeypatch.setenv("SPINEMETS_FHIR_TOKEN", "t0ken")
    store = "https://files.example.test/export/p.ndjson?sig=abc"
    elsewhere = respx.get(store).mock(return_value=_ndjson(PATIENT))
    respx.get(STATUS).mock(side_effect=[_manifest([("Patient", store)], token=False),
                                        _manifest([("Patient", store)], token=True)])  # fmt: skip
    assert _batch(STATUS, tmp_path / "a") == 0
    assert "authorization" not in elsewhere.calls.last.request.headers
    assert _batch(STATUS, tmp_path / "b") == 1
    assert "on another origin and needs the access token" in _one_line(capsys)
    assert elsewhere.call_count == 1


@respx.mock
def test_server_failures_exit_1_without_the_server_text(tmp_path, pauses, capsys):
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "exception", "diagnostics": "db password hunter2"}]}  # fmt: skip
    respx.get(STATUS).mock(return_value=httpx.Response(500, json=outcome))
    assert _batch(STATUS, tmp_path) == 1
    err = _one_line(capsys)
    assert "answered 500" in err and "hunter2" not in err
    respx.get(f"{B}/$export").mock(return_value=httpx.Response(200, json={}))
    assert _batch(f"{B}/$export", tmp_path) == 1
    assert "kick-off answered 200 without a status URL" in _one_line(capsys)


@respx.mock
def test_an_export_that_never_completes_times_out(tmp_path, pauses, capsys):
    respx.get(STATUS).mock(return_value=httpx.Response(202))
    assert _batch(STATUS, tmp_path, "--export-timeout", "5") == 1
    assert "did not complete within 5 s" in _one_line(capsys)
    assert pauses == [2.0, 2.0]


@respx.mock
@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        (_manifest([("Observation", f"{B}/Binary/2")]), 2, "the export holds no Patient file"),
        (httpx.Response(200, content=b"<html>"), 1, "not a Bulk Data manifest"),
        (httpx.Response(200, json={"output": [{"type": "Patient"}]}), 1, "without type or url"),
    ],
)
def test_unusable_manifests(tmp_path, pauses, capsys, answer, code, message):
    respx.get(STATUS).mock(return_value=answer)
    assert _batch(STATUS, tmp_path) == code
    assert message in _one_line(capsys)


@pytest.mark.parametrize(
    ("url", "base"),
    [
        (f"{B}/$export-poll-status?_jobId=1", B),
        (f"{B}/$export?_type=Patient", B),
        (f"{B}/Patient/$export", B),
        (f"{B}/Group/g-1/$export?_since=2025-01-01", B),
        ("https://bulk.example.test/jobs/42", "https://bulk.example.test/"),
    ],
)
def test_the_fhir_base_of_an_export_url(url, base):
    assert base_of(url) == base
