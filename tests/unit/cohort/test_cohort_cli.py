"""``spinemets cohort`` on the seed fixtures, compared with the oracle written from Table 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapter import cli
from tests.unit.cohort.test_summary import CONTRACT_KEYS, close

ROOT = Path(__file__).resolve().parents[3]
SEED = sorted(str(p) for p in (ROOT / "fixtures" / "seed").glob("seed-*.json"))
NOW = "2026-11-26T00:00:00Z"


@pytest.fixture(scope="module")
def seed_json(tmp_path_factory) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    page = tmp_path_factory.mktemp("cohort") / "cohort.html"
    with contextlib.redirect_stdout(io.TextIOWrapper(io.BytesIO(), write_through=True)) as std:
        code = cli.main(["cohort", *SEED, "--now", NOW, "--html", str(page)])
        std.seek(0)
        out.write(std.buffer.read().decode())
    assert code == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    return json.loads(out.getvalue())


def test_seed_cohort_from_fhir_equals_the_oracle(seed_json, oracle):
    assert set(seed_json) >= CONTRACT_KEYS
    close(seed_json, oracle)
    assert seed_json["issues"] == []
    for measure in ("pain", "barthel"):
        test = seed_json["outcomes"][f"{measure}_test"]
        assert test["test"] == "repeated-measures ANOVA" and test["p"] < 0.01


def test_a_cohort_as_of_an_earlier_date_sees_less(capsys):
    assert cli.main(["cohort", *SEED, "--now", "2025-03-01T00:00:00Z"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["deaths"] == 1  # only patient 4 (9 months) had died by then
    assert got["follow_up_months"]["max"] < 9.5


def test_text_format_and_patients_without_a_procedure(capsys):
    edge = str(ROOT / "fixtures" / "edge" / "band-sins-07.json")
    assert cli.main(["cohort", SEED[0], edge, "--now", NOW, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Cohort: 1 patients" in out and "median survival: not reached" in out
    assert "Patient/band-sins-07: no index procedure; left out." in out


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ([], "one of the two"),
        ([SEED[0], "--fhir-server", "http://127.0.0.1:9"], "one of the two"),
        ([SEED[0], "--group", "g"], "--group needs --fhir-server"),
        ([SEED[0], "--now", "soon"], "not a FHIR dateTime"),
        (["/nonexistent.json"], "cannot read"),
        ([SEED[0], "--html", "/nonexistent/dir/x.html"], "cannot write"),
        (["-", "-"], "once"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, args, reason):
    assert cli.main(["cohort", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err and "Traceback" not in err


def test_an_unusable_rule_setting_exits_2_with_one_line_naming_it(capsys, monkeypatch):
    monkeypatch.setenv("SPINEMETS_WINDOW_STAGING_DAYS", "a quarter")
    assert cli.main(["cohort", SEED[0], "--now", NOW]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINEMETS_WINDOW_STAGING_DAYS" in err
    assert "Traceback" not in err


def test_an_unreachable_server_exits_1_with_one_line(capsys):
    assert cli.main(["cohort", "--fhir-server", "http://127.0.0.1:9/fhir"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_the_v3_tools_have_score_distributions_too(seed_json):
    # Each seed patient has every tool at the index date (a total, certain or a range).
    for code in ("bauer-original", "bauer-modified", "nesms", "van-der-linden"):
        summary = seed_json["scores"][code]
        assert summary["n"] == seed_json["n"] and summary["n_certain"] <= summary["n"]
    # NESMS needs an albumin the seed does not record: never certain beyond its ceiling.
    assert seed_json["scores"]["nesms"]["max"] is None or seed_json["scores"]["nesms"]["max"] <= 3


def test_an_export_in_one_file_per_resource_type_is_read_patient_by_patient(tmp_path, capsys):
    # A Bulk Data export writes Patient.ndjson, Condition.ndjson, Procedure.ndjson …: each
    # patient's records were read file by file, the first taken and the rest dropped ("given
    # twice"), so the cohort was empty and said "no index procedure" of patients who had one.
    by_type: dict[str, list[str]] = {}
    for path in SEED[:2]:
        for entry in json.loads(Path(path).read_text())["entry"]:
            resource = entry["resource"]
            by_type.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    files = []
    for rtype, lines in by_type.items():
        files.append(tmp_path / f"{rtype}.ndjson")
        files[-1].write_text("\n".join(lines) + "\n")
    assert cli.main(["cohort", *map(str, files), "--now", NOW]) == 0
    split = json.loads(capsys.readouterr().out)
    assert cli.main(["cohort", *SEED[:2], "--now", NOW]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert split["n"] == whole["n"] == 2
    assert split["issues"] == whole["issues"] == []
    assert split["follow_up_months"] == whole["follow_up_months"]
    # The same file given twice is read once: nothing counted twice.
    assert cli.main(["cohort", SEED[0], SEED[0], "--now", NOW]) == 0
    twice = json.loads(capsys.readouterr().out)
    assert cli.main(["cohort", SEED[0], "--now", NOW]) == 0
    once = json.loads(capsys.readouterr().out)
    assert twice == once and once["n"] == 1


def test_a_resource_given_twice_with_different_content_is_named(tmp_path, capsys):
    # Two exports of different dates: the vertebroplasty in-progress in one, completed in the
    # other. The first read was kept in silence, so the file order decided the cohort.
    records = [e["resource"] for e in json.loads(Path(SEED[0]).read_text())["entry"]]
    proc = next(r for r in records if r["resourceType"] == "Procedure")
    early = [{**r, "status": "in-progress"} if r is proc else r for r in records]
    a, b = tmp_path / "jan.ndjson", tmp_path / "jun.ndjson"
    a.write_text("".join(json.dumps(r) + "\n" for r in early))
    b.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert cli.main(["cohort", str(a), str(b), "--now", NOW]) == 0
    got = json.loads(capsys.readouterr().out)
    ref = f"Procedure/{proc['id']}"
    said = [i for i in got["issues"] if ref in i and "different content" in i]
    assert said, got["issues"]


def test_two_copies_of_a_resource_in_one_input_are_read_once_and_named(tmp_path, capsys):
    records = [e["resource"] for e in json.loads(Path(SEED[0]).read_text())["entry"]]
    proc = next(r for r in records if r["resourceType"] == "Procedure")
    erroneous = {**proc, "status": "entered-in-error"}
    path = tmp_path / "one.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*records, erroneous]))
    assert cli.main(["cohort", str(path), "--now", NOW]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [i for i in got["issues"] if f"Procedure/{proc['id']}" in i and "different content" in i]


def test_a_forms_answers_are_all_read_when_a_cohorts_inputs_are_merged():
    # The findings a QuestionnaireResponse records share its reference: merging kept the first
    # and named the rest as a resource "given more than once".
    from adapter.fhir.read.source import merged_patients, patients_from_resources
    from adapter.mapping.extract import read_observation
    from tests.support.forms import fill
    from tests.support.records import default_patient, procedure
    from tests.unit.questionnaire.test_round_trip import LATER, _populate

    record = default_patient(drop=("t12-spinal-pain", "t12-spinal-alignment"))
    answers: dict[tuple[str | None, str], str | int] = {
        ("T12", "spinal-pain"): "pain-free",
        ("T12", "spinal-alignment"): "subluxation",
    }
    response = fill(_populate("sins", record), answers, authored=LATER)
    resources = [*record, response, procedure("pvp", "22510", "T12")]
    (alone,) = patients_from_resources(resources, [], read_observation)
    (merged,) = merged_patients([patients_from_resources(resources, [], read_observation)])

    def codes(data):
        return sorted(
            o.codes[0].code
            for o in data.observations
            if (o.ref.reference or "").startswith("QuestionnaireResponse")
        )

    assert codes(merged) == codes(alone) and len(codes(alone)) == 2
    assert not [i for i in merged.issues if i.code == "duplicate"]
