"""The notification queue's contract, on both stores: bounded, persisted, coalesced, leased,
shared between processes (each handle here stands for a process of its own)."""

from __future__ import annotations

import os
import stat
import threading
from collections import Counter

import pytest

from adapter.errors import StorageError
from adapter.sync.notify import RedisNotificationQueue, SqliteNotificationQueue


def test_bounded_but_a_queued_patient_is_always_accepted(backend):
    queue = backend.open(limit=2)
    assert queue.put("a", 1.0) and queue.put("b", 2.0)
    assert not queue.put("c", 3.0)  # full: nothing stored, the caller answers 503
    assert queue.put("a", 4.0)  # coalesced: no new entry
    assert queue.size() == 2
    first, second = queue.claim("w", 5.0, 60), queue.claim("w", 5.0, 60)
    assert not queue.put("c", 6.0)  # claimed entries still count
    assert (first.patient, second.patient) == ("a", "b")
    queue.done(second)
    assert queue.put("c", 7.0)


def test_persisted_across_a_restart_and_drained_in_order(backend):
    first = backend.open()
    first.put("b", 1.0)
    first.put("a", 2.0)
    first.close()
    again = backend.open()
    assert again.claim("w", 10.0, 60).patient == "b"
    assert again.claim("w", 10.0, 60).patient == "a"
    assert again.claim("w", 10.0, 60) is None  # both leased


def test_a_new_entry_is_due_at_once_whatever_clock_queued_it(backend):
    queue = backend.open()
    queue.put("p", 100.0)  # queued by a host whose clock is ahead of the claimer's
    assert queue.claim("w", 99.0, 60).patient == "p"


def test_a_retry_whose_time_has_come_goes_before_what_was_queued_after_it(backend):
    queue = backend.open(limit=5)
    queue.put("p", 1.0)
    queue.put("q", 2.0)
    queue.failed(queue.claim("w", 3.0, 60), retry_at=10.0, attempts=5)  # p waits until 10
    queue.put("r", 4.0)
    assert [queue.claim("w", t, 60).patient for t in (5.0, 6.0)] == ["q", "r"]
    assert queue.claim("w", 7.0, 60) is None
    queue.put("s", 8.0)
    assert [queue.claim("w", 20.0, 60).patient for _ in range(2)] == ["p", "s"]


def test_a_notification_during_a_run_makes_exactly_one_more_run(backend):
    queue = backend.open()
    queue.put("p", 1.0)
    claim = queue.claim("w", 2.0, 60)
    for t in range(5):
        queue.put("p", 3.0 + t)  # notified again while running: coalesced
    assert queue.claim("other", 8.0, 60) is None  # still leased to w
    queue.done(claim)
    again = queue.claim("w", 9.0, 60)
    assert again is not None and again.patient == "p" and again.generation == claim.generation + 5
    queue.done(again)
    assert queue.size() == 0
    assert queue.claim("w", 10.0, 60) is None


def test_failed_runs_retry_later_and_are_dropped_after_the_attempts(backend):
    queue = backend.open()
    queue.put("p", 1.0)
    claim = queue.claim("w", 2.0, 60)
    assert queue.failed(claim, retry_at=100.0, attempts=2)
    assert queue.claim("w", 50.0, 60) is None  # not before 100
    claim = queue.claim("w", 100.0, 60)
    assert claim.attempts == 1
    assert not queue.failed(claim, retry_at=200.0, attempts=2)  # second failure: given up
    assert queue.size() == 0


def test_a_failed_run_notified_meanwhile_runs_again_at_once(backend):
    queue = backend.open()
    queue.put("p", 1.0)
    claim = queue.claim("w", 2.0, 60)
    queue.put("p", 3.0)
    assert queue.failed(claim, retry_at=1000.0, attempts=1)  # kept: there is new data
    again = queue.claim("w", 4.0, 60)
    assert again.patient == "p" and again.attempts == 0


def test_news_for_a_patient_waiting_to_retry_runs_it_now(backend):
    queue = backend.open()
    queue.put("p", 1.0)
    queue.failed(queue.claim("w", 2.0, 60), retry_at=1000.0, attempts=5)
    queue.put("p", 3.0)
    assert queue.claim("w", 4.0, 60).attempts == 0


def test_leases_end_and_are_given_back_on_shutdown(backend):
    one, two = backend.open(), backend.open()  # two processes sharing the store
    one.put("p", 1.0)
    one.put("q", 1.5)
    assert one.claim("dead", 2.0, 60).patient == "p"
    assert two.claim("alive", 3.0, 60).patient == "q"
    assert two.claim("alive", 3.0, 60) is None
    assert two.claim("alive", 63.0, 60).patient == "p"  # the dead owner's lease ended
    two.release("alive")
    assert {one.claim("next", 64.0, 60).patient, one.claim("next", 64.0, 60).patient} == {"p", "q"}


def test_an_owner_whose_lease_was_taken_over_changes_nothing(backend):
    one, two = backend.open(), backend.open()
    one.put("p", 1.0)
    stale = one.claim("slow", 2.0, 60)
    fresh = two.claim("alive", 70.0, 60)  # the slow owner overran its lease
    assert fresh.patient == "p"
    one.done(stale)  # the slow owner finishes late: the patient stays leased to the new owner
    one.failed(stale, retry_at=5000.0, attempts=1)
    one.release("slow")
    assert two.size() == 1 and two.claim("third", 71.0, 60) is None
    two.done(fresh)
    assert two.size() == 0


def test_concurrent_claims_lease_each_patient_to_exactly_one_worker(backend):
    backend.open(limit=200).close()
    filler = backend.open(limit=200)
    for n in range(200):
        filler.put(f"p{n}", float(n))
    claimed: Counter[str] = Counter()
    lock = threading.Lock()

    def drain(owner: str) -> None:
        queue = backend.open(limit=200)  # a connection of its own, as another process has
        for _ in range(250):  # bounded: a queue that hands out leased entries never runs dry
            claim = queue.claim(owner, 1000.0, 60)
            if claim is None:
                break
            with lock:
                claimed[claim.patient] += 1
        queue.close()

    threads = [threading.Thread(target=drain, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 200 and set(claimed.values()) == {1}


def test_a_closed_queue_is_a_storage_error(backend):
    queue = backend.open()
    queue.close()
    with pytest.raises(StorageError):
        queue.put("p", 1.0)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_storage_is_refused_at_open(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StorageError, match="notification queue"):
            SqliteNotificationQueue(locked / "q.sqlite3", limit=3).open()
    finally:
        locked.chmod(stat.S_IRWXU)


def test_unusable_paths_are_refused_at_open(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="notification queue"):
        SqliteNotificationQueue(tmp_path / "file" / "q.sqlite3", limit=3).open()
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(StorageError):
        SqliteNotificationQueue(tmp_path / "dir.sqlite3", limit=3).open()


@pytest.mark.parametrize("url", ["redis://:hunter2@127.0.0.1:9/0", "redis://127.0.0.1:notaport/0"])
def test_an_unusable_redis_is_refused_at_open_without_its_password(url):
    with pytest.raises(StorageError, match=r"notification queue \(Redis\)") as caught:
        RedisNotificationQueue(url, limit=3, timeout=1.0).open()
    assert "hunter2" not in str(caught.value)


def test_a_lease_held_is_renewed_and_one_ended_or_taken_over_is_not(backend):
    one, two = backend.open(), backend.open()
    one.put("p", 1.0)
    claim = one.claim("w", 2.0, 30)
    assert one.renew(claim, 20.0, 30)  # now held until 50
    assert two.claim("other", 45.0, 30) is None  # the renewal kept it: past the first end
    assert not one.renew(claim, 50.0, 30)  # ended: no renewing it back
    taken = two.claim("other", 51.0, 30)
    assert taken.patient == "p"
    assert not one.renew(claim, 52.0, 30)  # another worker holds it now
    assert two.renew(taken, 60.0, 30) and one.claim("third", 85.0, 30) is None
