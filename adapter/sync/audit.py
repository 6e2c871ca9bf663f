"""The audit trail of sync writes: one AuditEvent per patient written (or failed), appended to
the audit file and, when ``SPINEMETS_AUDIT_SEND`` is set, sent to the FHIR server written to.

A patient found unchanged sent no write and has no event. The file is the record: an event
that cannot be appended fails the patient (an unrecorded write is reported, never silent),
while an event the FHIR server refuses is logged (spinemets' words only) and the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import orjson

from adapter.datadirs import append_private, audit_file
from adapter.errors import FhirServerError, StorageError
from adapter.fhir.client import FhirClient
from adapter.fhir.write.audit import sync_write_event
from adapter.settings import SpinemetsSettings
from adapter.sync.runner import Outcome

__all__ = ["AuditSettings", "SyncAudit"]

log = logging.getLogger("spinemets.audit")


class AuditSettings(SpinemetsSettings):
    """The settings, with the audit trail's path: ``SPINEMETS_AUDIT_FILE``, else in the state
    directory; ``SPINEMETS_AUDIT_SEND``."""

    @property
    def path(self) -> Path:
        return audit_file(self.audit_file, self.state_dir)


class SyncAudit:
    """Records each sync write of one FHIR server; ``send`` also posts it there."""

    def __init__(self, path: Path, client: FhirClient, *, send: bool = False) -> None:
        self.path, self.client, self.send = path, client, send
        self.site = socket.gethostname()

    def check(self) -> None:
        """Prove the file writable (before the first write): StorageError, one line, if not."""
        try:
            append_private(self.path, b"")
        except OSError as exc:
            raise StorageError(f"audit trail {self.path}: {exc.strerror or exc}") from None

    async def __call__(self, outcome: Outcome) -> None:
        if outcome.status in ("unchanged", "skipped"):  # nothing was sent to the server
            return
        event = sync_write_event(
            outcome.patient,
            self.client.base_url,
            outcome.outputs,
            recorded=datetime.now(UTC),
            failure=outcome.reason if outcome.status == "failed" else None,
            site=self.site,
        )
        try:
            await asyncio.to_thread(append_private, self.path, orjson.dumps(event))
        except OSError as exc:
            raise StorageError(f"audit trail {self.path}: {exc.strerror or exc}") from None
        if self.send:
            try:
                await self.client.post("AuditEvent", event)
            except FhirServerError as exc:
                log.warning("the AuditEvent of Patient/%s was not sent: %s", outcome.patient, exc)
