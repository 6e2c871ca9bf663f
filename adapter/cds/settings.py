"""The CDS Hooks service's view of the settings (:mod:`adapter.settings`): the one model, with
the checks only the service needs and the paths and rules it derives.

Settings are built by :func:`load_settings` when the service starts, never at import, so tests
and the command line can pass their own. Lists may be given as JSON or, for plain strings, comma
separated. Every limit has a safe default; docs/settings.md lists them all.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import model_validator

from adapter.datadirs import audit_file, state_directory
from adapter.mapping.rules import Rules, rules_of
from adapter.settings import SpinemetsSettings, load
from adapter.settings.issuers import Issuer, is_loopback, is_loopback_url

__all__ = [
    "Issuer",
    "Settings",
    "is_loopback",
    "is_loopback_url",
    "load_settings",
    "state_directory",
]


class Settings(SpinemetsSettings):
    """Everything the service reads from its environment (prefix ``SPINEMETS_``)."""

    @model_validator(mode="after")
    def _audience_is_configured(self) -> Settings:
        # The JWT audience is the URL the client called; without a configured base URL it could
        # only come from the request's Host header, which the caller chooses.
        if self.issuers and self.public_base_url is None:
            raise ValueError(
                "SPINEMETS_PUBLIC_BASE_URL is required when SPINEMETS_ISSUERS is set "
                "(the URL clients call: the JWT audience)"
            )
        return self

    @model_validator(mode="after")
    def _certificate_with_key(self) -> Settings:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError(
                "give both SPINEMETS_SSL_CERTFILE and SPINEMETS_SSL_KEYFILE, or neither"
            )
        return self

    @cached_property
    def rules(self) -> Rules:
        """Freshness windows and bleeding-risk thresholds, shared with the command line."""
        return rules_of(self)

    def shown_cards(self) -> frozenset[str]:
        """The v3 prognosis tools whose patient-view card is switched on."""
        switches = {
            "bauer-original": self.card_bauer_original,
            "bauer-modified": self.card_bauer_modified,
            "nesms": self.card_nesms,
            "van-der-linden": self.card_van_der_linden,
        }
        return frozenset(code for code, on in switches.items() if on)

    def state_path(self, name: str) -> Path:
        """A file in the state directory (configured, else the platform's)."""
        return (self.state_dir or state_directory()) / name

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.state_path("feedback.sqlite3")

    @property
    def replay_path(self) -> Path:
        return self.replay_db or self.state_path("replay.sqlite3")

    @property
    def audit_path(self) -> Path:
        return audit_file(self.audit_file, self.state_dir)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. command-line options)."""
    return load(Settings, **overrides)
