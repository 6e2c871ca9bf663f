"""Settings of the patient page as a SMART app (docs/smart-app.md). The app is on when
``SPINEMETS_PUBLIC_BASE_URL`` is set (a service field): its redirect URI and the cards' launch
links are made from it."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode

from adapter.settings.bounds import seconds
from adapter.settings.issuers import is_loopback_url

__all__ = ["READ_WRITE", "SmartFields"]

# Read the record; write the form's response and the findings extracted from it (SMART v2).
READ_WRITE = "patient/*.rs patient/QuestionnaireResponse.c patient/Observation.cu"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip().rstrip("/") for part in text.split(",") if part.strip()]
    return value


class SmartFields(BaseModel):
    """Which FHIR servers the app may be launched against, as which client, for how long."""

    smart_client_id: str = Field(
        default="spinemets", description="the client id registered with the EHR"
    )
    smart_fhir_servers: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="the FHIR base URLs (`iss`) the app may be launched against, comma separated "
        "or a JSON list; the first is the standalone launch's; https, or http on loopback",
    )
    smart_scope: str = Field(
        default=READ_WRITE,
        description="the scopes asked for besides `launch` / `launch/patient` and "
        "`openid fhirUser online_access` (always asked for)",
    )
    smart_session_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="how long a browser session lasts (1–1440)"
    )
    smart_max_sessions: int = Field(
        default=10_000,
        ge=1,
        description="signed-in sessions kept at once; when full, an expired one goes first, "
        "else the oldest (a launch not yet signed in never displaces one)",
    )
    smart_max_pending: int = Field(
        default=1_000,
        ge=1,
        description="launches not yet signed in kept at once; when full, new launches are "
        "refused (503) until one signs in or expires",
    )
    smart_pending_minutes: int = Field(
        default=10, ge=1, le=60, description="how long a launch may take to sign in (1–60)"
    )
    smart_discovery_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="how long a FHIR server's SMART configuration is kept (0: fetched for "
        "every launch); a failed fetch is kept 10 seconds at most",
    )
    smart_timeout: float = seconds(10.0, "seconds per request to the authorization or FHIR server")

    @field_validator("smart_fhir_servers", mode="before")
    @classmethod
    def _servers(cls, value: Any) -> Any:
        servers = _split(value)
        for url in servers if isinstance(servers, list) else ():
            if not (str(url).startswith("https://") or is_loopback_url(str(url))):
                raise ValueError(f"{url}: a FHIR server the app reads must be https")
        return servers
