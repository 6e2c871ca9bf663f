"""Settings of ``spinemets serve``: where it listens, whom it trusts, what one request may cost,
which cards it shows. Cross-field checks that only the service needs (a base URL with issuers, a
certificate with its key) are in :mod:`adapter.cds.settings`, run when the service starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode

from adapter.settings.bounds import seconds
from adapter.settings.issuers import Issuer

__all__ = ["CardFields", "LimitFields", "ServiceFields"]

MiB = 1024 * 1024


def _split(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class ServiceFields(BaseModel):
    """Binding, TLS, trusted clients and switches of the CDS Hooks service."""

    host: str = Field(default="127.0.0.1", description="address to listen on (`--host`)")
    port: int = Field(default=8080, ge=0, le=65535, description="port to listen on (`--port`)")
    workers: int = Field(
        default=1, ge=1, le=64, description="worker processes (`--workers`); they share the "
        "replay cache",
    )  # fmt: skip
    ssl_certfile: Path | None = Field(
        default=None, description="serve HTTPS with this certificate (chain, PEM); with the key"
    )
    ssl_keyfile: Path | None = Field(
        default=None, description="the certificate's private key; both or neither"
    )
    public_base_url: str | None = Field(
        default=None,
        description="the base URL clients call (the JWT audience; required with issuers); also "
        "turns on the SMART app and the cards' links to it",
    )
    issuers: tuple[Issuer, ...] = Field(
        default=(), description="JSON list of trusted CDS clients (`iss` and where its keys are)"
    )
    insecure: bool = Field(
        default=False,
        description="allow unauthenticated calls on a non-loopback address (development only)",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="allowed browser origins, comma separated or a JSON list"
    )
    system_actions: bool = Field(
        default=False,
        description="also return systemActions creating the score Observations and RiskAssessments",
    )
    original_tokuhashi: bool = Field(
        default=False, description="also score and show the original (1990) Tokuhashi score"
    )
    fhir_http_loopback: bool = Field(
        default=False,
        description="development: also read from an http:// fhirServer on a loopback address",
    )
    bench: bool = Field(
        default=False, description="add `Server-Timing: app;dur=<ms>` to every response"
    )
    access_log: bool = Field(default=True, description="one JSON access line per request")

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


def _card(tool: str) -> Any:
    return Field(default=False, description=f"add a patient-view card for {tool} (contract §1 v3)")


class CardFields(BaseModel):
    """The v3 prognosis tools' patient-view cards, off by default (contract §1 v3: four more
    prognosis cards on every patient would drown the ones that matter)."""

    card_bauer_original: bool = _card("the original Bauer score")
    card_bauer_modified: bool = _card("the modified Bauer score")
    card_nesms: bool = _card("NESMS")
    card_van_der_linden: bool = _card("the van der Linden score")


class LimitFields(BaseModel):
    """What one request may cost the service, and how long it may take."""

    fhir_timeout: float = seconds(10.0, "seconds per fhirServer read")
    fhir_max_pages: int = Field(default=20, ge=1, description="pages read per fhirServer search")
    fhir_deadline: float = seconds(
        30.0,
        "seconds for all the fhirServer reads of one call (→ 412), "
        "and for the SMART app's reads of one record",
    )
    fhir_max_bytes: int = Field(
        default=32 * MiB,
        ge=1024,
        description="decoded bytes read from fhirServer per call (→ 412), "
        "and by the SMART app per record",
    )
    max_in_flight: int = Field(
        default=32, ge=1, le=10_000,
        description="interactive calls in flight per worker process; the next one → 503",
    )  # fmt: skip
    max_queue_ms: float = Field(
        default=50.0, gt=0, le=60_000,
        description="milliseconds a worker's event loop may run behind before new calls → 503",
    )  # fmt: skip
    jwks_timeout: float = seconds(5.0, "seconds to fetch a client's JWK Set")
    max_body_bytes: int = Field(
        default=16 * MiB, ge=1024, description="request body limit (larger → 413, unread)"
    )
    max_feedback_items: int = Field(
        default=1000, ge=1, description="feedback items in one request (more → 413)"
    )
    max_feedback_text: int = Field(
        default=2000, ge=1, description="characters of any one text in feedback (more → 413)"
    )
    max_parameters: int = Field(
        default=1000, ge=1,
        description="parameters and parts in one $populate or $extract Parameters (more → 413)",
    )  # fmt: skip
    max_prefetch_entries: int = Field(
        default=20_000, ge=1,
        description="resources in one prefetch (→ 413) or read from fhirServer for a call (→ 412)",
    )  # fmt: skip
    max_draft_orders: int = Field(
        default=200, ge=1,
        description="draft orders (context.draftOrders entries) or selections in one order call "
        "(more → 413)",
    )  # fmt: skip
    body_timeout: float = seconds(30.0, "seconds for a request body to arrive (→ 408)")
    header_timeout: float = seconds(
        10.0, "seconds for a request line and headers to arrive, else the connection closes"
    )
    keep_alive_timeout: int = Field(
        default=5, ge=1, description="seconds before an idle keep-alive connection is closed"
    )
    max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, description="bytes of request line and headers (more → 400)"
    )
    max_connections: int = Field(
        default=1000, ge=1,
        description="connections and requests per process; beyond, 503 (not health, metrics)",
    )  # fmt: skip
    worker_threads: int = Field(
        default=4, ge=1, le=64, description="threads per process that run service calls"
    )
