"""The command line as a user meets it: exit codes, one-line errors, formats, stdin."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import unicodedata
from pathlib import Path

import pytest

from adapter import cli

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "seed" / "seed-07.json"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"hello", "not JSON"),
        (b"[1, 2]", "not JSON"),
        (b'{"a": 1}\n', "no FHIR resource"),
        (b'{\n "resourceType": "Bundle",\n "entry": [', "not valid JSON"),
        (b'{"resourceType": "Bundle", "entry": 5}', "Bundle.entry"),
        # Valid JSON past the JSON reader's own depth limit: refused whole, and said so.
        (b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation", '
         b'"extension": ' + b"[" * 1100 + b"]" * 1100 + b"}}]}", "nests deeper than 1,024 levels"),
    ],
)  # fmt: skip
def test_unusable_input_exits_2_with_one_line(tmp_path, capsys, content, reason):
    path = tmp_path / "in.json"
    path.write_bytes(content)
    assert cli.main(["score", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err and "Traceback" not in err


def test_missing_file_and_bad_arguments_exit_2_with_one_line(capsys):
    assert cli.main(["score", "/nonexistent/file.json"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        cli.main(["score", str(SEED), "--format", "xml"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert cli.main(["score", str(SEED), "--now", "yesterday"]) == 2


def test_text_report_reads_like_a_clinical_summary(capsys):
    assert cli.main(["score", str(SEED), "--format", "text", "--now", "2024-06-01T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    # L4 was fixed on 22 May 2024: its SINS is shown as it was, never re-scored into a
    # recommendation (contract §6 v3)
    assert "SINS L4: 13 — as recorded before the fixation on 22 May 2024" in out
    assert "L4 was fixed with screws on 22 May 2024: SINS is not applicable" in out
    assert "surgical consultation recommended" not in out
    assert "Observation/seed-07-spinal-pain-l4, 20 May 2024" in out


def test_text_report_says_what_would_settle_a_range(capsys):
    path = ROOT / "fixtures" / "edge" / "ecog-1-instead-of-kps.json"
    assert cli.main(["score", str(path), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "ECOG 1 stands in for Karnofsky 70–80" in out
    assert "To settle the range" in out and "Karnofsky performance status (LOINC 89243-0)" in out


def test_ndjson_with_a_bad_line_reports_it_and_scores_the_rest(tmp_path, capsys):
    lines = (ROOT / "fixtures" / "edge" / "two-patients.ndjson").read_bytes().splitlines()
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join([lines[0], b"{not json", *lines[1:]]) + b"\n")
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    outcome = bundle["entry"][-1]["resource"]
    assert any("NDJSON line 2 is not JSON" in i["diagnostics"] for i in outcome["issue"])
    assert (
        len(
            {
                e["resource"]["subject"]["reference"]
                for e in bundle["entry"]
                if "subject" in e["resource"]
            }
        )
        == 2
    )


def test_a_patient_with_only_observations_nothing_reads_is_not_a_crash(tmp_path, capsys):
    """Bulk exports hold patients with nothing but vital signs: their last line is one nothing
    reads, and the run goes on to the next patient."""
    lines = (ROOT / "fixtures" / "edge" / "two-patients.ndjson").read_bytes().splitlines()
    vitals = {
        "resourceType": "Observation",
        "id": "hr-1",
        "status": "final",
        "subject": {"reference": "Patient/vitals-only"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "valueQuantity": {"value": 80, "unit": "/min"},
    }
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join([*lines, json.dumps(vitals).encode()]) + b"\n")
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    subjects = {e["resource"]["subject"]["reference"] for e in bundle["entry"]
                if "subject" in e["resource"]}  # fmt: skip
    assert len(subjects) == 2 and "Patient/vitals-only" not in subjects


def test_interleaved_ndjson_gives_one_result_per_patient(tmp_path, capsys):
    """Streaming must not split a patient whose resources are not contiguous."""
    lines = (ROOT / "fixtures" / "edge" / "two-patients.ndjson").read_bytes().splitlines()
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join(lines[::2] + lines[1::2]) + b"\n")
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    tomita = [e for e in bundle["entry"] if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "tomita"
              and e["resource"]["resourceType"] == "Observation"]  # fmt: skip
    assert len(tomita) == 2
    ordered = ROOT / "fixtures" / "edge" / "two-patients.ndjson"
    assert cli.main(["score", str(ordered), "--now", "2025-01-01T00:00:00Z"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert sorted(json.dumps(e, sort_keys=True) for e in same["entry"]) == sorted(
        json.dumps(e, sort_keys=True) for e in bundle["entry"]
    )


def test_same_input_same_output_and_original_only_when_asked(capsys):
    cli.main(["score", str(SEED), "--now", "2025-01-01T00:00:00Z"])
    first = capsys.readouterr().out
    codes = {
        c["code"]
        for e in json.loads(first)["entry"]
        for c in e["resource"].get("code", {}).get("coding", [])
    }
    assert "tokuhashi-original" not in codes and {"sins", "tomita", "tokuhashi-revised"} <= codes
    cli.main(["score", str(SEED), "--now", "2025-01-01T00:00:00Z"])
    assert capsys.readouterr().out == first


def _broken_provenance(**kwargs):
    from adapter.fhir.write.build import build_provenance
    from adapter.fhir.write.built import Built

    built = build_provenance(**kwargs)
    return Built({**built.resource, "recorded": "yesterday"}, built.full_url)


def test_validate_checks_every_output_and_fails_with_one_line(capsys, monkeypatch):
    now = "2025-01-01T00:00:00Z"
    assert cli.main(["score", str(SEED), "--now", now, "--validate"]) == 0
    valid = capsys.readouterr().out
    assert cli.main(["score", str(SEED), "--now", now]) == 0
    assert capsys.readouterr().out == valid  # checking changes nothing in what is written

    monkeypatch.setattr("adapter.pipeline.score.build_provenance", _broken_provenance)
    assert cli.main(["score", str(SEED), "--now", now, "--validate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Provenance is not valid R4 (recorded:" in err
    assert "yesterday" not in err  # the element's name, never its value
    # Without --validate the builders are trusted: the same defect is written as built.
    assert cli.main(["score", str(SEED), "--now", now]) == 0
    assert '"recorded":"yesterday"' in capsys.readouterr().out


def test_no_validate_is_a_deprecated_alias_of_the_default(capsys):
    now = "2025-01-01T00:00:00Z"
    assert cli.main(["score", str(SEED), "--now", now]) == 0
    default = capsys.readouterr().out
    assert cli.main(["score", str(SEED), "--now", now, "--no-validate"]) == 0
    assert capsys.readouterr().out == default
    with pytest.raises(SystemExit) as both:
        cli.main(["score", str(SEED), "--validate", "--no-validate"])
    assert both.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_the_rules_come_from_the_environment(monkeypatch, capsys):
    args = ["score", str(SEED), "--format", "text", "--now", "2025-06-01T00:00:00Z"]
    assert cli.main(args) == 0
    assert "dated" in capsys.readouterr().out  # a year after the seed's records
    for kind in ("PERFORMANCE", "PALSY", "SINS", "COMPRESSION", "LABS", "STAGING"):
        monkeypatch.setenv(f"SPINEMETS_WINDOW_{kind}_DAYS", "3650")
    assert cli.main(args) == 0
    assert "dated" not in capsys.readouterr().out
    monkeypatch.setenv("SPINEMETS_WINDOW_SINS_DAYS", "a month")
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINEMETS_WINDOW_SINS_DAYS" in err


def _searchset(**extra: object) -> dict:
    """The seed patient as a search answer (a Bundle of type searchset), with ``extra`` added."""
    entries = json.loads(SEED.read_text())["entry"]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries, **extra}


NEXT_PAGE = {
    "link": [{"relation": "next", "url": "https://fhir.example.org/r4/Observation?_page=2"}]
}
SERVER_SAYS = "Search truncated: only the first 200 of 812 results were returned"


def _cut_short(bundle: dict, severity: str) -> dict:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": "too-costly", "diagnostics": SERVER_SAYS}],
    }
    bundle["entry"].append({"resource": outcome, "search": {"mode": "outcome"}})
    return bundle  # fmt: skip


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize(
    ("bundle", "said"),
    [
        (_searchset(**NEXT_PAGE), "next link"),
        (_cut_short(_searchset(), "error"), "OperationOutcome"),
        (_cut_short(_searchset(), "fatal"), "OperationOutcome"),
    ],
    ids=["next-link", "outcome-error", "outcome-fatal"],
)
def test_a_record_known_to_be_partial_is_refused_not_scored(tmp_path, capsys, bundle, said, fmt):
    """One page of a search, or a search the server cut short, would be scored as if it were the
    whole record ("No issues."): it is refused like unusable input, exit 2 with one line, and
    nothing is printed on standard output (contract §2: never a silent guess)."""
    path = tmp_path / "page1.json"
    path.write_text(json.dumps(bundle))
    assert cli.main(["score", str(path), "--format", fmt]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "partial" in err and said in err
    assert "812" not in err and "_page=2" not in err  # the server's words and links are not said


def test_a_bundle_line_of_ndjson_known_to_be_partial_is_refused(tmp_path, capsys):
    lines = (ROOT / "fixtures" / "edge" / "two-patients.ndjson").read_bytes().splitlines()
    page = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": [], **NEXT_PAGE})
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join([*lines, page.encode()]) + b"\n")
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # refused before the patients on the lines above it are printed
    assert err.count("\n") == 1 and "partial" in err and "next link" in err


def _batch_response(*inner: dict, status: str = "200 OK") -> dict:
    """A batch-response Bundle (one round trip for a patient's record) holding ``inner``."""
    entries = [{"resource": b, "response": {"status": status}} for b in inner]
    return {"resourceType": "Bundle", "type": "batch-response", "entry": entries}


def _score_json(tmp_path, capsys, document: dict) -> tuple[int, str, str]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(document))
    code = cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "wrap",
    [lambda b: _batch_response(b),
     lambda b: _batch_response(_batch_response(b)),
     lambda b: {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": b}]}],
    ids=["batch-response", "two-levels", "collection"],
)  # fmt: skip
def test_a_bundle_inside_a_bundle_is_read_like_its_entries(tmp_path, capsys, wrap):
    """A searchset answered inside a batch-response is the patient's record: read, not dropped."""
    flat = _score_json(tmp_path, capsys, _searchset())
    nested = _score_json(tmp_path, capsys, wrap(_searchset()))
    assert nested == flat and flat[0] == 0 and '"Observation"' in flat[1] and flat[2] == ""


@pytest.mark.parametrize(
    ("inner", "said"),
    [(_searchset(**NEXT_PAGE), "next link"),
     (_cut_short(_searchset(), "error"), "OperationOutcome")],
    ids=["next-link", "outcome-error"],
)  # fmt: skip
def test_a_partial_search_inside_a_bundle_is_refused(tmp_path, capsys, inner, said):
    for document in (_batch_response(inner), _batch_response(_batch_response(inner))):
        code, out, err = _score_json(tmp_path, capsys, document)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "partial" in err and said in err


def test_a_failed_search_of_a_batch_response_is_refused_as_partial(tmp_path, capsys):
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": SERVER_SAYS}],
    }
    failed = {"resource": outcome, "response": {"status": "504 Gateway Timeout"}}
    document = _batch_response(_searchset())
    document["entry"].append(failed)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(document))
    assert cli.main(["score", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "partial" in err and "504" in err and "812" not in err  # ours, not the server's words


def test_bundles_nested_deeper_than_two_levels_are_refused(tmp_path, capsys):
    document = _batch_response(_batch_response(_batch_response(_searchset())))
    code, out, err = _score_json(tmp_path, capsys, document)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "nests Bundles" in err


def test_a_nested_partial_bundle_on_an_ndjson_line_is_refused_before_printing(tmp_path, capsys):
    lines = (ROOT / "fixtures" / "edge" / "two-patients.ndjson").read_bytes().splitlines()
    page = json.dumps(_batch_response({"resourceType": "Bundle", "type": "searchset",
                                       "entry": [], **NEXT_PAGE}))  # fmt: skip
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join([*lines, page.encode()]) + b"\n")
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "partial" in err and "next link" in err


@pytest.mark.parametrize("ndjson", [False, True], ids=["json", "ndjson"])
def test_a_utf8_byte_order_mark_is_skipped(tmp_path, capsys, ndjson):
    """RFC 8259 §8.1: a parser may ignore a byte order mark, as Windows tools write one."""
    if ndjson:
        plain = (ROOT / "fixtures" / "edge" / "two-patients.ndjson").read_bytes()
    else:
        plain = SEED.read_bytes()
    outputs = []
    for name, content in (("plain", plain), ("bom", b"\xef\xbb\xbf" + plain)):
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 0, name
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and '"Observation"' in outputs[0]


@pytest.mark.parametrize(
    "document",
    [{"resourceType": "Bundle", "type": "collection", "entry": []},
     {"resourceType": "Parameters", "parameter": []}],
    ids=["empty-bundle", "parameters"],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_input_with_no_patient_is_refused_alike_in_every_format(tmp_path, capsys, document, fmt):
    """Nothing to score: not "No issues." with exit 0, the same one line whatever the format."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps(document))
    assert cli.main(["score", str(path), "--format", fmt]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "holds no patient" in err


def test_a_search_note_that_is_no_error_leaves_the_input_whole(tmp_path, capsys):
    path = tmp_path / "whole.json"
    path.write_text(json.dumps(_cut_short(_searchset(), "warning")))
    assert cli.main(["score", str(path), "--now", "2025-01-01T00:00:00Z"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "collection"


def test_the_text_report_prints_record_text_on_its_line_without_control_codes(tmp_path, capsys):
    bundle = json.loads((ROOT / "fixtures" / "seed" / "seed-01.json").read_text())
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["id"] == "seed-01-met-spine":  # retitle, clear the screen, colour, erase
            resource["code"]["text"] = "\x1b]0;x\x07\x1b[2J\x1b[31mSINS 2\x1b[0m\r\x1b[K\x9b2J"
        if resource["id"] == "seed-01-primary":  # a forged line of the report
            resource["code"]["text"] = (
                "breast\n\nNEUROLOGY: no deficit — no action needed\u2028\r\n"
            )
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(bundle))
    assert cli.main(["score", str(path), "--format", "text", "--now", "2024-06-01T09:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "SINS 2" in out and "NEUROLOGY: no deficit" in out
    assert not any(c != "\n" and unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in out)
    assert not any(line.startswith("NEUROLOGY") for line in out.splitlines())


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [["score"], ["score", "--format", "text"], ["cohort", "--format", "json"], ["cohort"],
     ["questionnaire", "populate", "sins"]],
)  # fmt: skip
def test_a_full_disk_on_standard_output_is_a_failed_output_not_unusable_input(
    args, monkeypatch, capsys
):
    seed = str(ROOT / "fixtures" / "seed" / "seed-01.json")
    # Unbuffered, so every write meets the full disk, as a large output does.
    full = io.TextIOWrapper(io.FileIO("/dev/full", "w"), write_through=True)
    monkeypatch.setattr(sys, "stdout", full)
    try:
        assert cli.main([*args, seed, "--now", "2024-06-01T09:00:00Z"]) == 1
    finally:
        with contextlib.suppress(OSError):
            full.close()
    err = capsys.readouterr().err
    assert err.startswith("spinemets: output: cannot write standard output (No space left")
    assert err.count("\n") == 1


@pytest.mark.parametrize("now", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize(
    "args",
    [["score"], ["score", "--format", "text"], ["cohort"], ["questionnaire", "populate", "sins"]],
)
def test_a_now_beyond_the_calendar_in_utc_is_unusable_input(args, now, capsys):
    seed = str(ROOT / "fixtures" / "seed" / "seed-01.json")
    assert cli.main([*args, seed, "--now", now]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spinemets: unusable input: --now '{now}'") and err.count("\n") == 1


def test_the_text_report_resolves_a_referenced_medication_whatever_the_files_layout(
    tmp_path, capsys
):
    # One decision on every surface (contract §4 v3): a pretty-printed Bundle, a one-line
    # Bundle and NDJSON of the same record give the same procedure-check verdict.
    from tests.support.records import NOW, apixaban_by_reference

    resources = apixaban_by_reference()
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    files = {
        "pretty.json": json.dumps(bundle, indent=1),
        "compact.json": json.dumps(bundle),
        "in.ndjson": "".join(json.dumps(r) + "\n" for r in resources),
    }
    lines = {}
    for name, content in files.items():
        path = tmp_path / name
        path.write_text(content)
        assert cli.main(["score", str(path), "--format", "text", "--now", NOW]) == 0
        out = capsys.readouterr().out
        lines[name] = [ln.strip() for ln in out.splitlines() if "ORDER" in ln]
    expected = [
        "ORDER ServiceRequest/vp [warning] Vertebroplasty T12: antithrombotic active — "
        "check when it was stopped"
    ]
    assert lines == dict.fromkeys(files, expected)


@pytest.mark.parametrize(
    "command",
    [
        ["score", str(SEED), "--format", "html", "--output"],
        ["conformance", "package", "--output"],
    ],
    ids=["score --output", "conformance package --output"],
)
def test_an_output_path_that_cannot_be_written_exits_2_naming_it(tmp_path, capsys, command):
    """One answer for one fault: an output file in a directory that does not exist (conformance
    package said exit 1, score and cohort exit 2 "unusable input")."""
    target = tmp_path / "missing" / "out.file"
    assert cli.main([*command, str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"spinemets: cannot write {target}: ")


def test_a_patient_posted_in_a_transaction_without_an_id_is_read_under_its_full_url(
    tmp_path, capsys
):
    # A transaction Bundle POSTs its Patient with no id, its fullUrl a urn:uuid the other
    # entries reference: the Patient was dropped ("has no id; ignored") while its Conditions
    # were scored under the urn, so a death recorded on it was lost and surgical strategies
    # were shown for a deceased patient.
    icd, vertebra = (
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://spinemets.org/fhir/CodeSystem/vertebra",
    )
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:1", "request": {"method": "POST", "url": "Patient"},
         "resource": {"resourceType": "Patient", "deceasedDateTime": "2024-06-02"}},
        {"fullUrl": "urn:uuid:2", "request": {"method": "POST", "url": "Condition"},
         "resource": {"resourceType": "Condition", "subject": {"reference": "urn:uuid:1"},
                      "code": {"coding": [{"system": icd, "code": "C79.51"}]},
                      "bodySite": [{"coding": [{"system": vertebra, "code": "T8"}]}],
                      "onsetDateTime": "2024-05-01"}},
        {"fullUrl": "urn:uuid:3", "request": {"method": "POST", "url": "Condition"},
         "resource": {"resourceType": "Condition", "subject": {"reference": "urn:uuid:1"},
                      "code": {"coding": [{"system": icd, "code": "C34.90"}]},
                      "onsetDateTime": "2024-05-01"}},
    ]}  # fmt: skip
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(bundle))
    code = cli.main(["score", str(path), "--format", "text", "--now", "2024-06-05T00:00:00Z"])
    out = capsys.readouterr()
    assert code == 0
    assert "DECEASED (2 Jun 2024)" in out.out, out.out
    assert "has no id" not in out.out + out.err
    assert "excision" not in out.out


def test_now_given_as_a_day_is_the_end_of_that_day(tmp_path, capsys):
    # Contract §2: "spinemets score --now 2024-06-01 scores what was known on that day". A day
    # was read as its first instant, so that day's findings were "after the computation time".
    from adapter.cli.options import computation_time
    from adapter.fhir.read.timing import parse_time
    from tests.support.records import bundle, default_patient, measurement

    assert computation_time("2024-06-01").instant == parse_time("2024-06-01T23:59:59Z").instant
    kps = measurement("kps", "89243-0", 70, when="2024-06-01T10:00:00Z")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bundle(default_patient(drop=("kps",), extra=(kps,)))))
    assert cli.main(["score", str(path), "--format", "text", "--now", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert "after the computation time" not in out and "Karnofsky 70" in out
    # A month or a year names no day to compute at: refused, one line.
    for vague in ("2024-06", "2024"):
        assert cli.main(["score", str(path), "--now", vague]) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_resources_contained_in_another_are_named_not_dropped_in_silence(tmp_path, capsys):
    # A metastasis holding its primary as a contained Condition, a report holding its findings:
    # §2 "nothing is dropped silently" — they are not read, and the record says so.
    from tests.support.records import bundle, default_patient

    resources = default_patient(drop=("primary",))
    met = next(r for r in resources if r["id"] == "met-t12")
    met["contained"] = [{"resourceType": "Condition", "id": "p", "code": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C34.90"}]}}]  # fmt: skip
    report = {"resourceType": "DiagnosticReport", "id": "mri", "status": "final",
              "subject": {"reference": "Patient/p"}, "code": {"text": "MRI spine"},
              "contained": [{"resourceType": "Observation", "id": "o", "status": "final"}]}  # fmt: skip
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bundle([*resources, report])))
    assert cli.main(["score", str(path), "--format", "text", "--now", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    named = [ln for ln in out.splitlines() if "contained" in ln]
    assert any("Condition/met-t12" in ln and "Condition" in ln for ln in named), out
    assert any("DiagnosticReport/mri" in ln and "Observation" in ln for ln in named), out
