"""Everything spinemets creates is private: files 0600, directories 0700, whatever the umask
(the tests set a permissive 022 to prove the modes are spinemets' own)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from adapter import cli
from adapter.batch.engines import LocalEngine
from adapter.batch.run import Options, run_batch
from adapter.cds.feedback import FeedbackStore
from adapter.cds.replay import SqliteReplayCache
from adapter.datadirs import private_dir, private_file
from adapter.fhir.read.timing import parse_time
from adapter.sync.notify.sqlite_queue import SqliteNotificationQueue
from tests.support.bulk import write_export


@pytest.fixture(autouse=True)
def permissive_umask():
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def everything_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): mode(p) for p in [root, *root.rglob("*")]}


def private(modes: dict[str, int]) -> bool:
    return all(m & 0o077 == 0 for m in modes.values())


def test_directories_are_made_0700_and_files_0600(tmp_path):
    made = private_dir(tmp_path / "state" / "deep")
    assert mode(tmp_path / "state") == mode(made) == 0o700
    path = private_file(tmp_path / "state" / "deep" / "x.sqlite3")
    assert mode(path) == 0o600


def test_an_existing_directory_is_left_and_an_older_store_tightened(tmp_path):
    (tmp_path / "shared").mkdir(mode=0o755)
    older = tmp_path / "shared" / "feedback.sqlite3"
    older.write_bytes(b"")
    older.chmod(0o644)
    private_file(older)
    assert mode(tmp_path / "shared") == 0o755 and mode(older) == 0o600


def test_the_stores_and_their_sqlite_journals_are_private(tmp_path):
    root = tmp_path / "state"
    feedback = FeedbackStore(root / "feedback.sqlite3")
    feedback.initialise()
    replay = SqliteReplayCache(root / "replay.sqlite3")
    replay.open()
    asyncio.run(replay.first_use("iss", "jti-1", 2e9))
    queue = SqliteNotificationQueue(root / "queues" / "notifications.sqlite3", limit=5)
    queue.open()
    queue.put("p1", 1.0)
    modes = everything_under(root)
    assert "replay.sqlite3-wal" in modes and "queues/notifications.sqlite3-wal" in modes
    assert private(modes), modes
    queue.close()
    asyncio.run(replay.close())


def test_batch_outputs_and_its_work_files_are_private(tmp_path):
    export = tmp_path / "export"
    write_export(export, synthetic=3, fixtures=False)
    options = Options(now=parse_time("2025-01-01T00:00:00Z"), partitions=2)
    out = tmp_path / "out"
    run_batch(export, out, engine=LocalEngine(1), options=options)
    modes = everything_under(out)
    assert "manifest.json" in modes and any(name.endswith(".ndjson") for name in modes)
    assert private(modes), modes


def test_a_command_runs_with_umask_077_and_gives_the_callers_back(tmp_path, capsys):
    page = tmp_path / "report.html"
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed-03.json"
    assert cli.main(["score", str(fixture), "--format", "html", "--output", str(page)]) == 0
    assert mode(page) == 0o600
    assert os.umask(0o022) == 0o022  # the caller's umask again
