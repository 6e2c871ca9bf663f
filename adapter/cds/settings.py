"""Configuration of the CDS Hooks service, from ``SPINEMETS_*`` environment variables.

Settings are built by :func:`load_settings` when the service starts, never at import, so tests
and the command line can pass their own. Lists may be given as JSON or, for plain strings, comma
separated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from adapter.errors import ConfigurationError

__all__ = ["Issuer", "Settings", "load_settings"]


class Issuer(BaseModel):
    """A CDS client allowed to call: its ``iss`` and where its public keys are.

    ``jwks_url`` or ``jwks_file`` names the JWK Set; ``jku`` lists the JWK Set URLs the client may
    name in a token's ``jku`` header (the spec lets clients publish keys either way). A ``jku``
    outside this list is refused, so a token cannot point at keys of its own choosing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    jwks_url: str | None = None
    jwks_file: Path | None = None
    jku: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_keys(self) -> Issuer:
        if self.jwks_url is None and self.jwks_file is None and not self.jku:
            raise ValueError(f"issuer {self.iss}: give jwks_url, jwks_file or jku")
        for url in (self.jwks_url, *self.jku):
            if url is not None and not url.startswith(("https://", "http://")):
                raise ValueError(f"issuer {self.iss}: JWK Set URL {url!r} is not http(s)")
        return self


def _split(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the service reads from its environment (prefix ``SPINEMETS_``)."""

    model_config = SettingsConfigDict(env_prefix="SPINEMETS_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_base_url: str | None = None
    issuers: tuple[Issuer, ...] = ()
    insecure: bool = False
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    feedback_db: Path = Path("spinemets-feedback.sqlite3")
    system_actions: bool = False
    original_tokuhashi: bool = False
    fhir_timeout: float = Field(default=10.0, gt=0)
    fhir_max_pages: int = Field(default=20, ge=1)
    jwks_timeout: float = Field(default=5.0, gt=0)
    bench: bool = False
    access_log: bool = True

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


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. command-line options)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigurationError(f"SPINEMETS_ settings: {where}: {first['msg']}") from None
    except (json.JSONDecodeError, SettingsError) as exc:
        # pydantic-settings names the field; the value itself is not repeated (it may hold URLs
        # with credentials).
        raise ConfigurationError(f"SPINEMETS_ settings: {exc}") from None
