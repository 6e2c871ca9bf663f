"""Where spinemets keeps its state (databases, the audit trail), and the FHIR server that
notifications re-score. Never the working directory by default."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from adapter.settings.bounds import seconds

__all__ = ["NotifyFields", "StorageFields", "SyncFields"]


class StorageFields(BaseModel):
    """The state directory, each file in it overridable, and the shared stores."""

    state_dir: Path | None = Field(
        default=None,
        description="directory of the databases and the audit trail; default "
        "`$XDG_STATE_HOME/spinemets`, else `~/.local/state/spinemets`",
    )
    feedback_db: Path | None = Field(
        default=None, description="SQLite file of card feedback; default in the state directory"
    )
    replay_db: Path | None = Field(
        default=None,
        description="SQLite file of the `jti` replay cache; default in the state directory",
    )
    replay_redis_url: SecretStr | None = Field(
        default=None,
        description="`redis://host:port/db`: the replay cache in Redis, shared by replicas",
    )
    audit_file: Path | None = Field(
        default=None,
        description="the audit trail (NDJSON AuditEvents); default `audit.ndjson` in the state "
        "directory",
    )
    audit_send: bool = Field(
        default=False,
        description="also POST each sync write's AuditEvent to the FHIR server written to",
    )


class NotifyFields(BaseModel):
    """FHIR rest-hook notifications: on when both the server and the secret are set."""

    fhir_server: str | None = Field(
        default=None,
        description="the FHIR server notifications re-score; with the secret, turns them on",
    )
    fhir_token: SecretStr | None = Field(
        default=None, description="bearer token for that server (and `--token-env`'s default)"
    )
    notify_secret: SecretStr | None = Field(
        default=None, min_length=16,
        description="the secret every notification must carry (at least 16 characters)",
    )  # fmt: skip
    notify_db: Path | None = Field(
        default=None,
        description="SQLite file of the notification queue; default in the state directory, "
        "else beside the feedback database",
    )
    notify_redis_url: SecretStr | None = Field(
        default=None,
        description="`redis://`, `rediss://` or `unix://` URL: the queue in Redis instead",
    )
    notify_queue_limit: int = Field(
        default=10_000, ge=1, description="patients queued at most (waiting or leased)"
    )
    notify_concurrency: int = Field(
        default=2, ge=1, le=32, description="re-syncs at once per process"
    )
    notify_timeout: float = seconds(30.0, "seconds per request to the FHIR server")
    notify_attempts: int = Field(
        default=5, ge=1, description="failed re-syncs before a patient is given up"
    )
    notify_lease: float = Field(
        default=30.0, ge=10, le=600,
        description="seconds a worker holds a patient without renewing it",
    )  # fmt: skip


class SyncFields(BaseModel):
    """How ``spinemets sync`` reads a FHIR server."""

    sync_read_group: int = Field(
        default=20, ge=1, le=100,
        description="patients whose records `spinemets sync` reads in one batch request "
        "(`--read-group`)",
    )  # fmt: skip
    sync_transaction_entries: int = Field(
        default=200, ge=0, le=10000,
        description="most entries of one transaction that patients whose results are all new "
        "share (`--transaction-entries`); 0: one transaction a patient",
    )  # fmt: skip
