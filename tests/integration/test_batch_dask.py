"""``spinemets batch --scheduler``: the same partitions on a real two-worker Dask cluster give
the results of one process and of ``spinemets score``; a worker killed while it holds tasks
loses no patient and duplicates none (Dask runs its tasks again; they are idempotent)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from adapter import __version__, cli
from tests.integration.dask_cluster import dask_cluster
from tests.support.bulk import NOW, batch_results, score_results, write_export

pytestmark = pytest.mark.integration
SYNTHETIC = 150
PARTITIONS = "24"


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as address:
        yield address


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    return directory, write_export(directory, synthetic=SYNTHETIC, per_file=1000)


@pytest.fixture(scope="module")
def one_process(export, tmp_path_factory):
    """The files of a run in this one process."""
    output = tmp_path_factory.mktemp("one")
    assert _batch(export[0], output, "--workers", "1") == 0
    return output


def _batch(source, output, *extra):
    return cli.main(
        [
            "batch",
            str(source),
            "--output",
            str(output),
            "--now",
            NOW,
            "--partitions",
            PARTITIONS,
            *extra,
        ]
    )


def _files(directory):
    return {p.name: p.read_bytes() for p in directory.glob("*.ndjson")}


def test_a_dask_cluster_gives_what_one_process_and_score_give(
    scheduler, export, one_process, tmp_path, capsys
):
    assert _batch(export[0], tmp_path / "dask", "--scheduler", scheduler) == 0
    assert f"on the Dask cluster at {scheduler}" in capsys.readouterr().out
    assert _files(tmp_path / "dask") == _files(one_process)
    joined = tmp_path / "all.ndjson"
    joined.write_bytes(b"".join(p.read_bytes() for p in export[1]))
    with open(tmp_path / "bundle.json", "w") as out, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", out)
        assert cli.main(["score", str(joined), "--now", NOW]) == 0
    expected = score_results(json.loads((tmp_path / "bundle.json").read_text()))
    assert batch_results(tmp_path / "dask") == expected


def test_the_commands_rules_apply_on_workers_that_do_not_have_them(
    scheduler, tmp_path, monkeypatch
):
    """The workers were started without SPINEMETS_WINDOW_PERFORMANCE_DAYS: the rules travel
    with the tasks, read where the command runs, as ``spinemets score`` reads them."""
    source = tmp_path / "export"
    write_export(source, synthetic=10, fixtures=False)
    monkeypatch.setenv("SPINEMETS_WINDOW_PERFORMANCE_DAYS", "3650")
    assert _batch(source, tmp_path / "dask", "--scheduler", scheduler) == 0
    assert _batch(source, tmp_path / "one", "--workers", "1") == 0
    assert _files(tmp_path / "dask") == _files(tmp_path / "one")
    monkeypatch.delenv("SPINEMETS_WINDOW_PERFORMANCE_DAYS")
    assert _batch(source, tmp_path / "default", "--workers", "1") == 0
    assert _files(tmp_path / "default") != _files(tmp_path / "one")


def _kill_a_busy_worker(client, run, stage):
    """SIGKILL the process of a worker that holds tasks of ``stage``, while ``run`` runs."""
    while run.poll() is None:
        for worker, tasks in client.processing().items():
            if any(f"spinemets-{stage}-" in str(key) for key in tasks):
                os.kill(client.run(os.getpid, workers=[worker])[worker], signal.SIGKILL)
                return worker
        time.sleep(0.01)
    return None


def test_a_worker_killed_mid_run_loses_and_duplicates_no_patient(
    scheduler, export, one_process, tmp_path
):
    from distributed import Client

    output = tmp_path / "dask"
    command = [sys.executable, "-m", "adapter.cli", "batch", str(export[0]), "--output", str(output),
               "--now", NOW, "--scheduler", scheduler, "--partitions", PARTITIONS]  # fmt: skip
    with Client(scheduler, set_as_default=False) as client:
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        killed = _kill_a_busy_worker(client, run, "score")
        _, err = run.communicate(timeout=300)
        assert killed is not None, "the run ended before a worker could be killed"
        assert run.returncode == 0, err.decode()
        client.wait_for_workers(2, timeout=60)  # its nanny started it again
    assert batch_results(output) == batch_results(one_process)
    assert _files(output) == _files(one_process)
    assert not (output / "_work").exists()


def test_a_cluster_that_cannot_be_used_fails_in_one_line(
    scheduler, export, tmp_path, capsys, monkeypatch
):
    from tests.integration.dask_cluster import free_ports

    nowhere = f"tcp://127.0.0.1:{free_ports(1)}"
    monkeypatch.setattr("adapter.batch.engines._TIMEOUT", 2.0)
    assert _batch(export[0], tmp_path, "--scheduler", nowhere) == 1
    assert f"cluster: cannot reach the Dask scheduler at {nowhere}" in _one_line(capsys)
    monkeypatch.setattr("adapter.batch.engines.__version__", "0.0.1")
    assert _batch(export[0], tmp_path, "--scheduler", scheduler) == 2
    assert f"the Dask workers run spinemets {__version__}, this command 0.0.1" in _one_line(capsys)
    assert not list(tmp_path.iterdir())


def _one_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err
