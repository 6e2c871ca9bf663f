"""The notification queue in SQLite: one row per patient waiting for a re-sync.

A notification is acknowledged only once its row is committed (``synchronous=FULL``), so a
crash or a restart loses nothing: whatever is queued is drained by the next start. The queue is
bounded (``limit`` patients); a notification for a patient already queued never counts twice
(coalesced: the row's ``generation`` goes up, and a run that finds it changed runs once more).
Workers claim a row with a lease; several processes on one host (``serve --workers``) share one
file, and a row whose owner died becomes claimable again when its lease ends. The contract is
:class:`~adapter.sync.notify.queue.NotificationQueue`'s.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapter.datadirs import private_file
from adapter.errors import StorageError
from adapter.sync.notify.queue import Claim

__all__ = ["SqliteNotificationQueue"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notification (
    patient    TEXT PRIMARY KEY,
    generation INTEGER NOT NULL DEFAULT 1,
    not_before REAL    NOT NULL DEFAULT 0,  -- lease end, or when a failed re-sync may retry
    owner      TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    enqueued   REAL    NOT NULL
)
"""


class SqliteNotificationQueue:
    """The notification queue of every process on one host: one SQLite file (WAL)."""

    def __init__(self, path: Path, *, limit: int) -> None:
        self.path, self.limit = path, limit
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        """Create or open the database and prove it writable; StorageError (one line) if not."""
        try:
            private_file(self.path)
            db = sqlite3.connect(
                self.path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            db.execute("BEGIN IMMEDIATE")  # a read-only file or directory fails here, not later
            db.execute("ROLLBACK")
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StorageError(f"notification queue {self.path}: {reason}") from None
        self._db = db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        """The connection, one thread at a time; database failures become StorageError."""
        with self._lock:
            if self._db is None:
                raise StorageError("the notification queue is not open")
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise StorageError(f"notification queue {self.path}: {exc}") from None

    def put(self, patient: str, now: float) -> bool:
        """Queue a re-sync of ``patient``; False when the queue is full (nothing stored)."""
        with self._use() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                # A patient waiting for a retry after a failure runs again now: this is news.
                changed = db.execute(
                    "UPDATE notification SET generation = generation + 1,"
                    " not_before = CASE WHEN owner IS NULL THEN 0 ELSE not_before END,"
                    " attempts = CASE WHEN owner IS NULL THEN 0 ELSE attempts END"
                    " WHERE patient = ?",
                    (patient,),
                ).rowcount
                if not changed:
                    (size,) = db.execute("SELECT count(*) FROM notification").fetchone()
                    if size >= self.limit:
                        db.execute("ROLLBACK")
                        return False
                    db.execute(
                        "INSERT INTO notification (patient, enqueued) VALUES (?, ?)", (patient, now)
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return True

    def claim(self, owner: str, now: float, lease: float) -> Claim | None:
        """The oldest patient due for a re-sync, leased to ``owner`` until ``now + lease``."""
        with self._use() as db:
            row = db.execute(
                "UPDATE notification SET owner = ?, not_before = ? WHERE patient = ("
                " SELECT patient FROM notification WHERE not_before <= ?"
                " ORDER BY enqueued LIMIT 1) RETURNING patient, generation, attempts",
                (owner, now + lease, now),
            ).fetchone()
        return Claim(row[0], row[1], row[2], owner) if row else None

    def renew(self, claim: Claim, now: float, lease: float) -> bool:
        """Extend a lease still held to ``now + lease``; False when it has ended or passed on."""
        with self._use() as db:
            return bool(
                db.execute(
                    "UPDATE notification SET not_before = ?"
                    " WHERE patient = ? AND owner = ? AND not_before > ?",
                    (now + lease, claim.patient, claim.owner, now),
                ).rowcount
            )

    def done(self, claim: Claim) -> None:
        """The re-sync finished: forget the patient, unless notified again meanwhile."""
        with self._use() as db:
            gone = db.execute(
                "DELETE FROM notification WHERE patient = ? AND owner = ? AND generation = ?",
                (claim.patient, claim.owner, claim.generation),
            ).rowcount
            if not gone:
                self._again(db, claim, 0.0, 0)

    def failed(self, claim: Claim, retry_at: float, attempts: int) -> bool:
        """The re-sync failed: retry at ``retry_at``; False (and forgotten) after ``attempts``."""
        with self._use() as db:
            row = db.execute(
                "SELECT generation FROM notification WHERE patient = ? AND owner = ?",
                (claim.patient, claim.owner),
            ).fetchone()
            if row is not None and row[0] != claim.generation:
                self._again(db, claim, 0.0, 0)  # notified again meanwhile: new data, try now
                return True
            if claim.attempts + 1 >= attempts:
                db.execute(
                    "DELETE FROM notification WHERE patient = ? AND owner = ?",
                    (claim.patient, claim.owner),
                )
                return False
            self._again(db, claim, retry_at, claim.attempts + 1)
            return True

    @staticmethod
    def _again(db: sqlite3.Connection, claim: Claim, not_before: float, attempts: int) -> None:
        db.execute(
            "UPDATE notification SET owner = NULL, not_before = ?, attempts = ?"
            " WHERE patient = ? AND owner = ?",
            (not_before, attempts, claim.patient, claim.owner),
        )

    def release(self, owner: str) -> None:
        """Give back every lease of ``owner`` (shutdown): its patients are due at once."""
        with self._use() as db:
            db.execute(
                "UPDATE notification SET owner = NULL, not_before = 0 WHERE owner = ?", (owner,)
            )

    def size(self) -> int:
        with self._use() as db:
            (size,) = db.execute("SELECT count(*) FROM notification").fetchone()
        return int(size)
