"""The SMART app's settings, from ``SPINEMETS_*`` environment variables (docs/smart-app.md).

The app is off until a public base URL is set: its redirect URI and the cards' launch links are
made from it. ``SPINEMETS_SMART_FHIR_SERVERS`` lists the FHIR servers (the ``iss`` of an EHR
launch) the app will talk to; a launch naming any other server is refused, so a link cannot send
the user's browser, and then the app's requests, to a server of someone else's choosing.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from adapter.errors import ConfigurationError

__all__ = ["READ_WRITE", "SmartSettings", "is_loopback_url", "smart_settings"]

# Read the record; write the form's response and the findings extracted from it (SMART v2).
READ_WRITE = "patient/*.rs patient/QuestionnaireResponse.c patient/Observation.cu"


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` is http(s) on localhost or a loopback address, named literally."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip().rstrip("/") for part in text.split(",") if part.strip()]
    return value


class SmartSettings(BaseSettings):
    """What the SMART app reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="SPINEMETS_", extra="ignore", frozen=True)

    public_base_url: str | None = None
    smart_client_id: str = "spinemets"
    smart_fhir_servers: Annotated[tuple[str, ...], NoDecode] = ()
    smart_scope: str = READ_WRITE
    smart_session_minutes: int = Field(default=60, ge=1, le=24 * 60)
    smart_max_sessions: int = Field(default=10_000, ge=1)
    smart_timeout: float = Field(default=10.0, gt=0)

    @field_validator("public_base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @field_validator("smart_fhir_servers", mode="before")
    @classmethod
    def _servers(cls, value: Any) -> Any:
        servers = _split(value)
        for url in servers if isinstance(servers, list) else ():
            if not (str(url).startswith("https://") or is_loopback_url(str(url))):
                raise ValueError(f"{url}: a FHIR server the app reads must be https")
        return servers

    @property
    def enabled(self) -> bool:
        return self.public_base_url is not None

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url}/smart/callback"

    @property
    def root(self) -> str:
        """The app's URL path as the browser sees it (behind a proxy, with its prefix)."""
        return urlsplit(self.public_base_url or "").path.rstrip("/") + "/smart"

    @property
    def launch_url(self) -> str:
        return f"{self.public_base_url}/smart/launch"

    @property
    def secure_cookies(self) -> bool:
        # Browsers keep Secure cookies from https and from loopback http (development) only.
        base = self.public_base_url or ""
        return base.startswith("https://") or is_loopback_url(base)


def smart_settings() -> SmartSettings:
    """The settings from the environment; ConfigurationError (one line) when unusable."""
    try:
        return SmartSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigurationError(f"SPINEMETS_ settings: {where}: {message}") from None
    except (json.JSONDecodeError, SettingsError) as exc:
        raise ConfigurationError(f"SPINEMETS_ settings: {exc}") from None
