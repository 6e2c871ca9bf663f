"""The notification queue on its own: bounded, persisted, coalesced, leased, shareable."""

from __future__ import annotations

import os
import stat

import pytest

from adapter.errors import StorageError
from adapter.sync.notify import NotificationQueue


def opened(path, limit=3) -> NotificationQueue:
    queue = NotificationQueue(path, limit=limit)
    queue.open()
    return queue


def test_bounded_but_a_queued_patient_is_always_accepted(tmp_path):
    queue = opened(tmp_path / "q.sqlite3", limit=2)
    assert queue.put("a", 1.0) and queue.put("b", 2.0)
    assert not queue.put("c", 3.0)  # full: nothing stored, the caller answers 503
    assert queue.put("a", 4.0)  # coalesced: no new row
    assert queue.size() == 2


def test_persisted_across_a_restart_and_drained_in_order(tmp_path):
    path = tmp_path / "q.sqlite3"
    first = opened(path)
    first.put("b", 1.0)
    first.put("a", 2.0)
    first.close()
    again = opened(path)
    assert again.claim("w", 10.0, 60).patient == "b"
    assert again.claim("w", 10.0, 60).patient == "a"
    assert again.claim("w", 10.0, 60) is None  # both leased


def test_a_notification_during_a_run_makes_exactly_one_more_run(tmp_path):
    queue = opened(tmp_path / "q.sqlite3")
    queue.put("p", 1.0)
    claim = queue.claim("w", 2.0, 60)
    for t in range(5):
        queue.put("p", 3.0 + t)  # notified again while running: coalesced
    queue.done(claim)
    again = queue.claim("w", 9.0, 60)
    assert again is not None and again.patient == "p"
    queue.done(again)
    assert queue.size() == 0


def test_failed_runs_retry_later_and_are_dropped_after_the_attempts(tmp_path):
    queue = opened(tmp_path / "q.sqlite3")
    queue.put("p", 1.0)
    claim = queue.claim("w", 2.0, 60)
    assert queue.failed(claim, retry_at=100.0, attempts=2)
    assert queue.claim("w", 50.0, 60) is None  # not before 100
    claim = queue.claim("w", 100.0, 60)
    assert claim.attempts == 1
    assert not queue.failed(claim, retry_at=200.0, attempts=2)  # second failure: given up
    assert queue.size() == 0


def test_news_for_a_patient_waiting_to_retry_runs_it_now(tmp_path):
    queue = opened(tmp_path / "q.sqlite3")
    queue.put("p", 1.0)
    queue.failed(queue.claim("w", 2.0, 60), retry_at=1000.0, attempts=5)
    queue.put("p", 3.0)
    assert queue.claim("w", 4.0, 60).attempts == 0


def test_leases_end_and_are_given_back_on_shutdown(tmp_path):
    path = tmp_path / "q.sqlite3"
    one, two = opened(path), opened(path)  # two processes sharing the file
    one.put("p", 1.0)
    one.put("q", 1.5)
    assert one.claim("dead", 2.0, 60).patient == "p"
    assert two.claim("alive", 3.0, 60).patient == "q"
    assert two.claim("alive", 3.0, 60) is None
    assert two.claim("alive", 63.0, 60).patient == "p"  # the dead owner's lease ended
    two.release("alive")
    assert one.claim("next", 64.0, 60) is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_storage_is_refused_at_open(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StorageError, match="notification queue"):
            opened(locked / "q.sqlite3")
    finally:
        locked.chmod(stat.S_IRWXU)


def test_unusable_paths_are_refused_at_open(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="notification queue"):
        opened(tmp_path / "file" / "q.sqlite3")  # a file where a directory must be
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StorageError):
        opened(tmp_path / "dir.sqlite3")


def test_a_closed_queue_is_a_storage_error(tmp_path):
    queue = opened(tmp_path / "q.sqlite3")
    queue.close()
    with pytest.raises(StorageError):
        queue.put("p", 1.0)
