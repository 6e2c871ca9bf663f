"""Card feedback kept in an embedded SQLite database, so acceptance and overrides can be counted.

Each write opens its own connection in a worker thread (sqlite3 blocks, and a connection must not
cross threads); WAL mode lets a report read while the service writes. Only what the client
reported is kept: card and suggestion uuids, outcome, override reason, times. No patient data.
Storage that cannot be created or written fails at start-up (:meth:`FeedbackStore.initialise`),
and a write that fails later (a full disk) raises :class:`~adapter.errors.StorageError`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from adapter.cds.models import FeedbackItem
from adapter.datadirs import private_file
from adapter.errors import StorageError

__all__ = ["CardCount", "FeedbackStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    accepted_suggestions TEXT,
    override_system TEXT,
    override_code TEXT,
    override_display TEXT,
    user_comment TEXT,
    outcome_timestamp TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_card ON feedback (service, card);
"""


@dataclass(frozen=True, slots=True)
class CardCount:
    service: str
    card: str
    accepted: int
    overridden: int
    reasons: dict[str, int]


class FeedbackStore:
    """Appends feedback to, and counts it from, one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10.0)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def initialise(self) -> None:
        """Create the file and table if needed, and prove it writable (at start-up)."""
        try:
            private_file(self.path)
            connection = self._connect()
            try:
                with connection:
                    connection.executescript(_SCHEMA)
                    # A no-op write: a read-only file or directory fails here, not on first use.
                    (version,) = connection.execute("PRAGMA user_version").fetchone()
                    connection.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                connection.close()
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise StorageError(f"feedback database {self.path}: {reason}") from None

    def _write(self, service: str, items: Sequence[FeedbackItem]) -> None:
        received = datetime.now(UTC).isoformat()
        rows = []
        for item in items:
            reason = item.overrideReason.reason if item.overrideReason else None
            accepted = ",".join(s.id for s in item.acceptedSuggestions or ()) or None
            rows.append(
                (
                    service,
                    item.card,
                    item.outcome,
                    accepted,
                    reason.system if reason else None,
                    reason.code if reason else None,
                    reason.display if reason else None,
                    item.overrideReason.userComment if item.overrideReason else None,
                    item.outcomeTimestamp.isoformat(),
                    received,
                )
            )
        try:
            connection = self._connect()
            try:
                with connection:  # one transaction: a batch is stored whole or not at all
                    connection.executemany(
                        "INSERT INTO feedback (service, card, outcome, accepted_suggestions, "
                        "override_system, override_code, override_display, user_comment, "
                        "outcome_timestamp, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise StorageError(f"feedback database: {exc}") from None

    async def add(self, service: str, items: Sequence[FeedbackItem]) -> None:
        """Store a batch of feedback without blocking the event loop."""
        await asyncio.to_thread(self._write, service, items)

    def counts(self) -> list[CardCount]:
        """Accepted and overridden counts per card, and override reasons by code."""
        connection = self._connect()
        try:
            totals = connection.execute(
                "SELECT service, card, SUM(outcome = 'accepted'), SUM(outcome = 'overridden') "
                "FROM feedback GROUP BY service, card ORDER BY service, card"
            ).fetchall()
            reasons = connection.execute(
                "SELECT service, card, COALESCE(override_code, '(none)'), COUNT(*) FROM feedback "
                "WHERE outcome = 'overridden' GROUP BY service, card, override_code"
            ).fetchall()
        finally:
            connection.close()
        by_card: dict[tuple[str, str], dict[str, int]] = {}
        for service, card, code, n in reasons:
            by_card.setdefault((service, card), {})[code] = n
        return [
            CardCount(service, card, accepted, overridden, by_card.get((service, card), {}))
            for service, card, accepted, overridden in totals
        ]
