"""The command line never ends with a traceback (contract §8): hostile or endless input, a
malformed resource among good ones, a closed standard stream.

Standard-stream cases run the real entry point in its own process: only a real process has a
closed descriptor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson

from tests.support.records import default_patient, measurement

COMMAND = [sys.executable, "-m", "adapter.cli", "score"]
SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed-07.json"


def _one_line(run: subprocess.CompletedProcess[bytes]) -> str:
    err = run.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err and "Error:" not in err, err
    return err


def _ndjson(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _issues(stdout: bytes) -> list[str]:
    bundle = orjson.loads(stdout)
    outcome = bundle["entry"][-1]["resource"]
    return [i["diagnostics"] for i in outcome["issue"]]


def test_a_malformed_resource_is_reported_and_the_rest_scored(tmp_path):
    bad = measurement("kps-bad", "89243-0", 80)
    bad["code"]["coding"] = 5
    odd_type = {"resourceType": {"x": 1}, "id": "o"}
    lines = [json.dumps(r).encode() for r in [*default_patient(), bad, odd_type]]
    lines.append(b'{"resourceType": "Observation", "valueInteger": NaN}')
    lines.append(b'{"resourceType": "Observation", "valueInteger": 1e400}')
    run = subprocess.run([*COMMAND, str(_ndjson(tmp_path / "in.ndjson", lines))],
                         capture_output=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()
    assert run.stderr == b""
    issues = _issues(run.stdout)
    assert any("Observation/kps-bad is malformed (code.coding" in i for i in issues)
    n = len(lines)
    assert f"NDJSON line {n - 2} is not a FHIR resource; ignored." in issues  # resourceType {}
    assert f"NDJSON line {n - 1} is not JSON; ignored." in issues  # NaN is not JSON
    assert f"NDJSON line {n} is not JSON; ignored." in issues  # nor a number beyond binary64
    scores = [e["resource"] for e in orjson.loads(run.stdout)["entry"]]
    assert any(r["resourceType"] == "RiskAssessment" for r in scores)  # the patient scored


def test_an_over_long_line_is_reported_and_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("SPINEMETS_MAX_LINE_BYTES", "4096")
    lines = [json.dumps(r).encode() for r in default_patient()]
    lines.insert(1, b"{" + b"x" * 100_000)
    run = subprocess.run([*COMMAND, str(_ndjson(tmp_path / "in.ndjson", lines))],
                         capture_output=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr.decode()
    assert "NDJSON line 2 is longer than 4096 bytes (SPINEMETS_MAX_LINE_BYTES); ignored." in (
        _issues(run.stdout)
    )


def test_an_endless_input_exits_2_with_one_line():
    run = subprocess.run([*COMMAND, "/dev/zero"], capture_output=True, check=False, timeout=60)
    assert run.returncode == 2
    assert "not JSON" in _one_line(run)


def test_an_endless_standard_input_is_refused_before_it_fills_the_disk(monkeypatch):
    monkeypatch.setenv("SPINEMETS_MAX_LINE_BYTES", "65536")
    endless = subprocess.Popen(["yes", "{"], stdout=subprocess.PIPE)  # '{' lines: JSON-looking
    flat = subprocess.Popen(["tr", "-d", "\\n"], stdin=endless.stdout, stdout=subprocess.PIPE)
    assert endless.stdout is not None
    endless.stdout.close()
    run = subprocess.run([*COMMAND, "-"], stdin=flat.stdout, capture_output=True, check=False,
                         timeout=60)  # fmt: skip
    for process in (flat, endless):
        process.kill()
        process.wait(10)
    assert flat.stdout is not None
    flat.stdout.close()
    assert run.returncode == 2
    assert "a line is longer than 65536 bytes" in _one_line(run)


def test_a_line_longer_than_the_limit_in_a_one_line_document_exits_2(tmp_path, monkeypatch):
    monkeypatch.setenv("SPINEMETS_MAX_LINE_BYTES", "4096")
    run = subprocess.run([*COMMAND, str(SEED)], capture_output=True, check=False)
    assert run.returncode in (0, 2)  # the seed file is pretty-printed: short lines
    document = tmp_path / "one-line.json"
    document.write_bytes(orjson.dumps(orjson.loads(SEED.read_bytes())))
    run = subprocess.run([*COMMAND, str(document)], capture_output=True, check=False)
    assert run.returncode == 2
    assert "line 1 is longer than 4096 bytes" in _one_line(run)


def test_bad_limits_exit_2_with_one_line(monkeypatch):
    monkeypatch.setenv("SPINEMETS_MAX_JSON_DEPTH", "many")
    run = subprocess.run([*COMMAND, str(SEED)], capture_output=True, check=False)
    assert run.returncode == 2
    assert "SPINEMETS_MAX_JSON_DEPTH: not a whole number" in _one_line(run)


def test_a_closed_standard_output_ends_quietly():
    for fmt in ("json", "text"):
        run = subprocess.run([*COMMAND, str(SEED), "--format", fmt], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, check=False,
                             preexec_fn=lambda: __import__("os").close(1))  # fmt: skip
        assert run.returncode == 0
        assert run.stderr == b""


def test_a_closed_standard_input_exits_2_with_one_line():
    run = subprocess.run([*COMMAND, "-"], capture_output=True,
                         check=False,
                         preexec_fn=lambda: __import__("os").close(0))  # fmt: skip
    assert run.returncode == 2
    assert "unusable input" in _one_line(run)


def test_command_logs_are_json_lines_without_secrets():
    program = (
        "import logging; from adapter.cli import _logging; _logging(); "
        "logging.getLogger('httpx').info('HTTP Request: GET https://u:hunter2@h/r4/Patient/1'); "
        "logging.getLogger('spinemets.sync').warning('read https://u:hunter2@h/r4/Condition?patient=1')"
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, check=True)
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1  # the HTTP client's request line stays below the level
    entry = json.loads(lines[0])
    assert entry["level"] == "warning" and entry["message"] == "read https://***@h/r4/Condition?…"


def test_an_internal_error_is_one_line_and_exit_1(monkeypatch, capsys):
    from adapter import cli
    from adapter.cli import score

    def broken(args):
        raise MemoryError

    monkeypatch.setattr(score, "run", broken)
    assert cli.main(["score", str(SEED)]) == 1
    err = capsys.readouterr().err
    assert err == "spinemets: internal error (MemoryError); the run stopped here\n"
