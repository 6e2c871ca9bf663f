"""``spinemets batch`` on a directory export, in one process: the results of ``spinemets score``,
re-runs that replace and never duplicate, and one-line errors. Over several worker processes
(spawned interpreters): tests/integration/test_batch_processes.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapter import cli
from tests.support.bulk import NOW, batch_results, score_results, write_export


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    paths = write_export(directory)
    return directory, paths


@pytest.fixture(scope="module")
def expected(export, tmp_path_factory):
    """What `spinemets score` makes of the whole export as one NDJSON file."""
    _, paths = export
    joined = tmp_path_factory.mktemp("joined") / "all.ndjson"
    joined.write_bytes(b"".join(p.read_bytes() for p in paths))
    out = tmp_path_factory.mktemp("score") / "bundle.json"
    with open(out, "w") as handle, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", handle)
        assert cli.main(["score", str(joined), "--now", NOW]) == 0
    return score_results(json.loads(out.read_text()))


def _batch(source, output, *extra):
    return cli.main(["batch", str(source), "--output", str(output), "--now", NOW, *extra])


def test_one_process_gives_what_score_gives(export, expected, tmp_path, capsys):
    assert _batch(export[0], tmp_path, "--workers", "1") == 0
    resources, issues = batch_results(tmp_path)
    assert len(resources) > 1000
    assert (resources, issues) == expected
    assert "Condition/orphan has no Patient subject; ignored." in {i["diagnostics"] for i in issues}
    out = capsys.readouterr().out
    assert out.startswith("127 patients in 16 partitions on 1 local process: ")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    listed = {o["url"] for o in manifest["output"] + manifest["error"]}
    assert listed == {p.name for p in tmp_path.glob("*.ndjson")}
    assert sum(o["count"] for o in manifest["output"]) == len(resources)
    assert manifest["transactionTime"] == NOW and manifest["extension"]["patients"] == 127
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("_", "."))) == [
        ".spinemets-batch.lock"]  # fmt: skip


def test_a_rerun_replaces_its_files_and_another_partition_count_leaves_no_stale_one(tmp_path):
    source = tmp_path / "export"
    write_export(source, synthetic=40, fixtures=False)
    output = tmp_path / "out"
    results = []
    for partitions in ("7", "7", "3"):
        assert _batch(source, output, "--workers", "1", "--partitions", partitions) == 0
        results.append(batch_results(output))
    # no patient twice, none missing: 9 resources each, and an Observation and a RiskAssessment
    # for each of the four v3 prognosis tools
    assert len(results[0][0]) == 40 * (9 + 4 * 2)
    assert results[0] == results[1] == results[2]
    assert {p.name.split(".")[1] for p in output.glob("*.ndjson")} == {
        "p00000", "p00001", "p00002", "unassigned"}  # fmt: skip


def _error(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_unusable_exports_exit_2_with_one_line(export, tmp_path, capsys):
    assert _batch(tmp_path / "missing", tmp_path / "out") == 2
    assert "missing is not a directory" in _error(capsys)
    source = tmp_path / "export"
    source.mkdir()
    (source / "Observation.ndjson").write_text('{"resourceType":"Observation"}\n')
    assert _batch(source, tmp_path / "out") == 2
    assert "no Patient file" in _error(capsys)


def test_an_unusable_rule_setting_exits_2_with_one_line_naming_it(
    export, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("SPINEMETS_INR_MAX", "high")
    assert _batch(export[0], tmp_path / "out", "--workers", "1") == 2
    assert "SPINEMETS_INR_MAX" in _error(capsys)
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_unusable_arguments_exit_2_with_one_line(export, tmp_path, capsys):
    assert _batch(export[0], tmp_path, "--now", "yesterday") == 2
    assert "--now 'yesterday' is not a FHIR dateTime" in _error(capsys)
    assert _batch(export[0], tmp_path, "--partitions", "0") == 2
    assert "--partitions must be at least 1" in _error(capsys)
    assert _batch(export[0], tmp_path, "--workers", "0") == 2
    assert "--workers must be at least 1" in _error(capsys)
    assert _batch(export[0], export[0]) == 2
    assert "--output must be another directory" in _error(capsys)
    with pytest.raises(SystemExit) as exc:
        _batch(export[0], tmp_path, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert exc.value.code == 2
    _error(capsys)


def test_validate_checks_every_output_and_changes_none(tmp_path):
    source = tmp_path / "export"
    write_export(source, synthetic=6, fixtures=False)
    assert _batch(source, tmp_path / "plain", "--workers", "1") == 0
    assert _batch(source, tmp_path / "checked", "--workers", "1", "--validate") == 0
    files = {p.name: p.read_bytes() for p in (tmp_path / "plain").glob("*.ndjson")}
    assert {p.name: p.read_bytes() for p in (tmp_path / "checked").glob("*.ndjson")} == files


def test_a_second_run_into_the_same_directory_is_refused(export, tmp_path, capsys):
    import fcntl

    with (tmp_path / ".spinemets-batch.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert _batch(export[0], tmp_path, "--workers", "1") == 2
    assert f"another batch run is writing {tmp_path}" in _error(capsys)


def _score(source, tmp_path, name):
    joined = tmp_path / f"{name}.ndjson"
    joined.write_bytes(b"".join(p.read_bytes() for p in sorted(source.glob("*.ndjson"))))
    with open(tmp_path / f"{name}.json", "w") as out, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        assert cli.main(["score", str(joined), "--now", NOW]) == 0
    return score_results(json.loads((tmp_path / f"{name}.json").read_text()))


def test_the_rules_set_in_the_environment_apply_as_for_score(tmp_path, monkeypatch):
    source = tmp_path / "export"
    write_export(source, synthetic=10, fixtures=False)
    default = _score(source, tmp_path, "default")
    monkeypatch.setenv("SPINEMETS_WINDOW_PERFORMANCE_DAYS", "3650")
    assert _batch(source, tmp_path / "out", "--workers", "1") == 0
    assert batch_results(tmp_path / "out") == _score(source, tmp_path, "set") != default


def test_a_medication_named_by_reference_changes_no_batch_output(tmp_path, capsys):
    # Medication lines name no patient, so batch does not route them to the request's partition
    # (docs/batch.md). What they name feeds only the procedure check and the neurology card
    # (criterion 7, the steroid prompt), which batch does not write: its outputs are those of
    # `spinemets score`, which does resolve the reference. Should a batch output ever depend on
    # the drug, this fails and the join must be built.
    from tests.support.records import NOW as RECORDS_NOW
    from tests.support.records import apixaban_by_reference

    resources = apixaban_by_reference()
    source = tmp_path / "export"
    source.mkdir()
    by_type: dict[str, list[str]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    for rtype, lines in by_type.items():
        (source / f"{rtype}.ndjson").write_text("\n".join(lines) + "\n")
    joined = tmp_path / "all.ndjson"
    joined.write_bytes(b"".join(p.read_bytes() for p in sorted(source.glob("*.ndjson"))))
    assert cli.main(["score", str(joined), "--format", "text", "--now", RECORDS_NOW]) == 0
    assert "antithrombotic active" in capsys.readouterr().out  # score reads the drug
    with open(tmp_path / "score.json", "w") as out, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        assert cli.main(["score", str(joined), "--now", RECORDS_NOW]) == 0
    expected = score_results(json.loads((tmp_path / "score.json").read_text()))
    output = tmp_path / "out"
    argv = ["batch", str(source), "--output", str(output), "--now", RECORDS_NOW, "--workers", "1"]
    assert cli.main(argv) == 0
    assert batch_results(output) == expected


def test_a_patient_with_no_bone_metastasis_gets_no_prognosis_in_a_file(tmp_path, capsys):
    # Type 2 diabetes and a KPS: no spinal metastasis, so no score has a basis (as sync writes
    # it). Six prognoses ("all patients died within 6 months") would go into that chart.
    source = tmp_path / "export"
    source.mkdir()
    lines: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "d", "gender": "female"},
        {"resourceType": "Condition", "id": "dm", "subject": {"reference": "Patient/d"},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"}]},
         "onsetDateTime": "2020-01-01"},
        {"resourceType": "Observation", "id": "kps", "status": "final",
         "subject": {"reference": "Patient/d"}, "effectiveDateTime": "2024-05-30",
         "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
         "valueInteger": 40},
    ]  # fmt: skip
    for line in lines:
        path = source / f"{line['resourceType']}.ndjson"
        with path.open("a") as out:
            out.write(json.dumps(line) + "\n")
    assert _batch(source, tmp_path / "out", "--workers", "1") == 0
    resources, _ = batch_results(tmp_path / "out")
    assert not [r for r in resources if r["resourceType"] in ("Observation", "RiskAssessment")]
    assert not [r for r in resources if r["resourceType"] == "Provenance"]  # it would name none
    joined = tmp_path / "all.ndjson"
    joined.write_text("".join(json.dumps(line) + "\n" for line in lines))
    capsys.readouterr()
    assert cli.main(["score", str(joined), "--now", NOW]) == 0
    bundle = json.loads(capsys.readouterr().out)
    (only,) = [e["resource"] for e in bundle["entry"]]
    assert only["resourceType"] == "OperationOutcome"
    assert [i["diagnostics"] for i in only["issue"]] == [
        "Patient/d: no bone-metastasis Condition: no score written (each is about a spinal "
        "metastasis)"
    ]
