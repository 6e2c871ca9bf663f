"""``spinemets questionnaire populate|extract``: output on stdout, bad input → exit 2, one line."""

from __future__ import annotations

import io
import json
import sys

import pytest

from adapter import cli
from tests.support.forms import fill, populate_rules
from tests.support.records import NOW, default_patient

LATER = "2024-05-31T10:00:00Z"


def _record(tmp_path):
    path = tmp_path / "record.json"
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in default_patient()]}  # fmt: skip
    path.write_text(json.dumps(bundle))
    return path


def _populate(tmp_path, capsys, name="sins"):
    assert cli.main(["questionnaire", "populate", name, str(_record(tmp_path)), "--now", NOW]) == 0
    return json.loads(capsys.readouterr().out)


def test_populate_then_extract_on_the_command_line(tmp_path, capsys, monkeypatch):
    response = _populate(tmp_path, capsys)
    assert response["resourceType"] == "QuestionnaireResponse"
    completed = fill(response, {("T12", "spinal-pain"): "pain-free"}, authored=LATER)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(completed).encode())))
    assert cli.main(["questionnaire", "extract", "-"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    # the changed answer only: the four left as prefilled repeat findings the record holds
    assert bundle["type"] == "transaction" and len(bundle["entry"]) == 1


def _bad(response):
    response["item"][0]["item"][2]["answer"] = [{"valueCoding": {"code": "agonising"}}]
    return response


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda r: r | {"questionnaire": "http://example.org/Questionnaire/other"},
         "questionnaire: not the canonical URL of a spinemets Questionnaire"),
        (_bad, "item spinal-pain: answer 'agonising' is not one of"),
        (lambda r: _level(r, "L7"), "item vertebra: 'L7' is not a spinal level"),
    ],
)  # fmt: skip
def test_bad_responses_end_with_exit_2_and_one_line(tmp_path, capsys, change, says):
    response = fill(_populate(tmp_path, capsys), {}, authored=LATER)
    path = tmp_path / "response.json"
    path.write_text(json.dumps(change(response)))
    assert cli.main(["questionnaire", "extract", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and says in captured.err
    assert "Traceback" not in captured.err and "example.org" not in captured.err  # no value


def _level(response, code):
    response["item"][0]["item"][0]["answer"] = [{"valueCoding": {
        "system": "http://spinemets.org/fhir/CodeSystem/vertebra", "code": code}}]  # fmt: skip
    return response


@pytest.mark.parametrize(
    "argv",
    [
        ["questionnaire", "populate", "phq9", "{record}"],
        ["questionnaire", "populate", "sins", "{missing}"],
        ["questionnaire", "populate", "sins", "{record}", "--patient", "nobody"],
        ["questionnaire", "extract", "{record}"],  # a Bundle, not a response
        ["questionnaire", "extract", "{notjson}"],
    ],
)
def test_unusable_input_is_one_line_and_exit_2(tmp_path, capsys, argv):
    notjson = tmp_path / "x.json"
    notjson.write_text("not json")
    paths = {"record": str(_record(tmp_path)), "missing": str(tmp_path / "none.json"),
             "notjson": str(notjson)}  # fmt: skip
    status: int | str | None
    try:
        status = cli.main([a.format(**paths) for a in argv])
    except SystemExit as exc:  # argparse: an unknown form name
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_populate_reads_the_rules_of_the_settings(tmp_path, capsys, monkeypatch):
    """$populate reads the record by the deployment's rules, as ``score`` does: a window set in
    the environment reaches it, and an unusable one is refused in one line."""
    used = populate_rules(monkeypatch)
    monkeypatch.setenv("SPINEMETS_WINDOW_SINS_DAYS", "90")
    _populate(tmp_path, capsys)
    assert used and used[-1] is not None and used[-1].windows.sins == 90
    monkeypatch.setenv("SPINEMETS_WINDOW_SINS_DAYS", "a month")
    argv = ["questionnaire", "populate", "sins", str(_record(tmp_path)), "--now", NOW]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINEMETS_WINDOW_SINS_DAYS" in err
