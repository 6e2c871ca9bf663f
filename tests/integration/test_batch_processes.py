"""``spinemets batch`` over local worker processes (spawned interpreters, seconds to start): the
same files as one process, a broken line counted there too, a dying worker one line, and the
partition of a patient the same in every interpreter, whatever its string hashing. The rest of
the command is tested in one process in tests/unit/batch/."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from adapter import cli
from adapter.batch.engines import LocalEngine
from adapter.batch.partition import partition_of
from adapter.errors import ClusterError
from tests.support.bulk import NOW, write_export

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    paths = write_export(directory)
    return directory, paths


def _batch(source, output, *extra):
    return cli.main(["batch", str(source), "--output", str(output), "--now", NOW, *extra])


def test_two_processes_write_the_same_files_as_one(export, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _batch(export[0], one, "--workers", "1", "--partitions", "5") == 0
    assert _batch(export[0], two, "--workers", "2", "--partitions", "5") == 0
    files = {p.name: p.read_bytes() for p in one.iterdir()}
    assert {p.name: p.read_bytes() for p in two.iterdir()} == files
    results = [n for n in files if n.endswith(".ndjson") and not n.startswith("OperationOutcome")]
    assert len(results) == 5 * 3  # Observation, RiskAssessment, Provenance in each partition
    assert "OperationOutcome.unassigned.ndjson" in files


def test_a_worker_process_that_dies_fails_the_run_in_one_line(tmp_path):
    engine = LocalEngine(2)
    try:
        with pytest.raises(ClusterError, match="worker process died during the test pass"):
            list(engine.map(os._exit, [3, 4], stage="test"))
    finally:
        engine.close()


def test_an_unusable_line_is_counted_and_the_run_goes_on(tmp_path, capsys):
    # Contract §8: one broken line (not JSON, NaN, over the line limit) never ends a run.
    source = tmp_path / "export"
    source.mkdir()
    (source / "Patient.ndjson").write_text(
        '{"resourceType":"Patient","id":"a"}\n{"resourceType":\n'
        '{"resourceType":"Patient","id":"b","x":NaN}\n{"resourceType":"Patient","id":"c"}\n'
    )
    assert _batch(source, tmp_path / "out", "--workers", "2") == 0
    assert (tmp_path / "out" / "manifest.json").exists()
    assert "2 of no use to a score" in capsys.readouterr().out


def test_partition_is_stable_across_processes():
    here = [partition_of(f"patient-{n}", 16) for n in range(50)]
    code = "from adapter.batch.partition import partition_of; print([partition_of(f'patient-{n}', 16) for n in range(50)])"
    for seed in ("1", "2"):  # str hashing differs between these interpreters; ours must not
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(out.stdout) == here
