"""Configuration of the CDS Hooks service, from ``SPINEMETS_*`` environment variables.

Settings are built by :func:`load_settings` when the service starts, never at import, so tests
and the command line can pass their own. Lists may be given as JSON or, for plain strings, comma
separated. Every limit has a safe default; docs/cds-hooks.md lists them all.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from adapter.datadirs import audit_file
from adapter.errors import ConfigurationError
from adapter.mapping.rules import Rules, rules_from

__all__ = [
    "Issuer",
    "Settings",
    "is_loopback",
    "is_loopback_url",
    "load_settings",
    "state_directory",
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (no DNS: a name may move)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names a loopback host literally."""
    return is_loopback(urlsplit(url).hostname or "")


def _key_url(iss: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback_url(url):
        return url  # a JWK Set served on this machine (development, tests)
    raise ValueError(f"issuer {iss}: JWK Set URL {url!r} is not https")


class Issuer(BaseModel):
    """A CDS client allowed to call: its ``iss`` and where its public keys are.

    Keys for tokens without a ``jku`` header come from exactly one of ``jwks_url`` (fetched),
    ``jwks_file`` (read at start-up) or ``jwks`` (an inline JWK Set). ``jku`` lists the JWK Set
    URLs a token may name, fetched when named; ``local_jku`` lists JWK Set URLs a token may name
    whose keys are the issuer's local ones (``jwks_file`` or ``jwks``), so they are never
    fetched. Any other ``jku`` is refused: a token cannot point at keys of its own choosing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    jwks_url: str | None = None
    jwks_file: Path | None = None
    jwks: dict[str, Any] | None = None
    jku: tuple[str, ...] = ()
    local_jku: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_keys(self) -> Issuer:
        given = [s for s in (self.jwks_url, self.jwks_file, self.jwks) if s is not None]
        if len(given) > 1:
            raise ValueError(f"issuer {self.iss}: give one of jwks_url, jwks_file, jwks")
        if not given and not self.jku:
            raise ValueError(f"issuer {self.iss}: give jwks_url, jwks_file, jwks or jku")
        if self.local_jku and self.jwks_file is None and self.jwks is None:
            raise ValueError(f"issuer {self.iss}: local_jku needs jwks_file or jwks")
        for url in (self.jwks_url, *self.jku, *self.local_jku):
            if url is not None:
                _key_url(self.iss, url)
        return self

    @property
    def local(self) -> bool:
        """Whether the issuer's own keys are local (a file or inline), not fetched."""
        return self.jwks_file is not None or self.jwks is not None


def _split(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def state_directory() -> Path:
    """The platform's state directory for spinemets: ``$XDG_STATE_HOME`` or ~/.local/state."""
    xdg = os.environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "spinemets"
    home = Path.home()  # RuntimeError when no home can be determined
    return home / ".local" / "state" / "spinemets"


MiB = 1024 * 1024


class Settings(BaseSettings):
    """Everything the service reads from its environment (prefix ``SPINEMETS_``)."""

    model_config = SettingsConfigDict(
        env_prefix="SPINEMETS_", extra="ignore", frozen=True, arbitrary_types_allowed=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # TLS: serve HTTPS itself with this certificate (chain) and key; both or neither.
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    public_base_url: str | None = None
    issuers: tuple[Issuer, ...] = ()
    insecure: bool = False
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # Storage: one directory, each file overridable. Never the working directory by default.
    state_dir: Path | None = None
    feedback_db: Path | None = None
    replay_db: Path | None = None
    replay_redis_url: SecretStr | None = None
    audit_file: Path | None = None  # default: audit.ndjson in the state directory
    system_actions: bool = False
    original_tokuhashi: bool = False
    # Patient-view cards of the v3 prognosis tools, one setting each, off by default (contract
    # §1 v3: four more prognosis cards on every patient would drown the ones that matter).
    card_bauer_original: bool = False
    card_bauer_modified: bool = False
    card_nesms: bool = False
    card_van_der_linden: bool = False
    fhir_timeout: float = Field(default=10.0, gt=0)
    fhir_max_pages: int = Field(default=20, ge=1)
    fhir_http_loopback: bool = False
    fhir_deadline: float = Field(default=30.0, gt=0)  # all the fallback reads of one call
    fhir_max_bytes: int = Field(default=32 * MiB, ge=1024)  # read from fhirServer per call
    max_in_flight: int = Field(default=32, ge=1, le=10_000)  # per worker process; beyond: 503
    jwks_timeout: float = Field(default=5.0, gt=0)
    # Limits on what one request may cost.
    max_body_bytes: int = Field(default=16 * MiB, ge=1024)
    max_feedback_items: int = Field(default=1000, ge=1)
    max_feedback_text: int = Field(default=2000, ge=1)  # characters of any one feedback text
    max_prefetch_entries: int = Field(default=20_000, ge=1)
    body_timeout: float = Field(default=30.0, gt=0)
    header_timeout: float = Field(default=10.0, gt=0)
    keep_alive_timeout: int = Field(default=5, ge=1)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    max_connections: int = Field(default=1000, ge=1)
    worker_threads: int = Field(default=4, ge=1, le=64)
    bench: bool = False
    access_log: bool = True
    # Freshness windows and bleeding-risk thresholds: read by rules_from, shared with the CLI.
    rules: Rules = Field(default_factory=Rules, exclude=True)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("public_base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("public_base_url must be an http(s) URL")
        return value.rstrip("/")

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
    overrides.setdefault("rules", rules_from(os.environ))
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"SPINEMETS_ settings: {where}: {message}") from None
    except (json.JSONDecodeError, SettingsError) as exc:
        # pydantic-settings names the field; the value itself is not repeated (it may hold URLs
        # with credentials).
        raise ConfigurationError(f"SPINEMETS_ settings: {exc}") from None
