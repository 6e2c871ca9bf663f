"""FHIR rest-hook notifications' view of the settings (:mod:`adapter.settings`).

Notifications are on only when both the FHIR server to re-score on and the secret every
notification must carry are set: never unauthenticated, not even on loopback (any local process
or web page could otherwise make the service hammer the FHIR server). One without the other is a
configuration error.

The queue is a SQLite file for every process on one host, or a Redis server
(``SPINEMETS_NOTIFY_REDIS_URL``, as ``SPINEMETS_REPLAY_REDIS_URL`` for the replay cache) for
replicas on several hosts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import model_validator

from adapter.datadirs import state_directory
from adapter.errors import ConfigurationError
from adapter.fhir.client import BearerToken, FhirServerSettings
from adapter.settings import SpinemetsSettings, load
from adapter.sync.notify.queue import NotificationQueue

__all__ = ["NotifySettings", "load_notify_settings"]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class NotifySettings(SpinemetsSettings):
    """What the notification queue and its re-syncs read from the environment."""

    # Storage: a path of its own, else in the service's state directory, else beside the
    # feedback database, else in the platform's state directory; never the working directory.

    @model_validator(mode="after")
    def _both_or_neither(self) -> NotifySettings:
        if (self.fhir_server is None) != (self.notify_secret is None):
            raise ValueError(
                "FHIR notifications need both SPINEMETS_FHIR_SERVER and SPINEMETS_NOTIFY_SECRET"
            )
        if self.notify_redis_url is not None:
            if self.notify_db is not None:
                raise ValueError(
                    "set one of SPINEMETS_NOTIFY_DB and SPINEMETS_NOTIFY_REDIS_URL, not both"
                )
            if not self.notify_redis_url.get_secret_value().startswith(_REDIS_SCHEMES):
                raise ValueError(
                    "SPINEMETS_NOTIFY_REDIS_URL must be a redis://, rediss:// or unix:// URL"
                )
        return self

    @property
    def enabled(self) -> bool:
        return self.fhir_server is not None and self.notify_secret is not None

    @property
    def database(self) -> Path:
        if self.notify_db is not None:
            return self.notify_db
        if self.state_dir is None and self.feedback_db is not None:
            return self.feedback_db.parent / "notifications.sqlite3"
        try:
            return (self.state_dir or state_directory()) / "notifications.sqlite3"
        except RuntimeError:  # no home directory to find the platform's state directory in
            raise ConfigurationError(
                "no state directory: set SPINEMETS_STATE_DIR or SPINEMETS_NOTIFY_DB"
            ) from None

    def queue(self) -> NotificationQueue:
        """The queue these settings name (not yet open): Redis when a URL is set, else SQLite."""
        if self.notify_redis_url is not None:
            from adapter.sync.notify.redis_queue import RedisNotificationQueue

            url = self.notify_redis_url.get_secret_value()
            return RedisNotificationQueue(url, limit=self.notify_queue_limit)
        from adapter.sync.notify.sqlite_queue import SqliteNotificationQueue

        return SqliteNotificationQueue(self.database, limit=self.notify_queue_limit)

    def fhir(self) -> FhirServerSettings:
        """The FHIR server re-syncs read from and write to: a pool of its own, bounded."""
        assert self.fhir_server is not None
        token = self.fhir_token.get_secret_value() if self.fhir_token else None
        return FhirServerSettings(
            base_url=self.fhir_server,
            auth=BearerToken(token) if token else None,
            timeout=self.notify_timeout,
            # Five reads per patient in parallel, for each patient in flight.
            max_connections=5 * self.notify_concurrency,
        )


def load_notify_settings(**overrides: Any) -> NotifySettings:
    """Settings from the environment; ConfigurationError (one line) when unusable."""
    return load(NotifySettings, **overrides)
