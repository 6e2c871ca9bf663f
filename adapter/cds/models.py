"""CDS Hooks 2.0 wire models (hand-written, pydantic v2): requests, discovery, cards, feedback.

Requests are strict about the types the spec fixes (a string is a string, an integer an integer:
lax coercion let a fractional ``expires_in`` through in a peer's tests) and tolerant of keys the
spec may add (unknown request and context keys are kept, not refused). Responses are dumped with
``exclude_none``, so an unset optional field is omitted rather than sent as ``null``; the builders
never set empty lists.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "OWN_REQUEST",
    "Action",
    "Card",
    "CdsRequest",
    "CdsResponse",
    "CodingModel",
    "Discovery",
    "FeedbackItem",
    "FeedbackRequest",
    "FhirAuthorization",
    "HookContext",
    "Link",
    "OverrideReason",
    "ServiceEntry",
    "Source",
    "Suggestion",
]

NonEmpty = Annotated[str, Field(min_length=1)]
# FHIR id grammar (R4 datatypes: id); "." and ".." are refused separately (path segments).
FhirId = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
# RFC 6750 b64token, loosened to any visible ASCII: it travels in an HTTP header.
BearerToken = Annotated[str, Field(min_length=1, pattern=r"^[\x21-\x7e]+$")]
Summary = Annotated[str, Field(min_length=1, max_length=139)]  # spec: "<140 characters"
# context.userId: the user's relative reference Type/id (CDS Hooks hooks, invariant ord-1); which
# types, the hook says. It names the recipient in the audit trail: an id, never free text.
_USER = re.compile(r"([A-Za-z]{1,64})/([A-Za-z0-9\-.]{1,64})")
_USERS = frozenset({"Practitioner", "PractitionerRole", "Patient", "RelatedPerson"})
_ORDER_USERS = frozenset({"Practitioner", "PractitionerRole"})  # order-select, order-sign
# Validation context of a request spinemets makes itself ($populate's reads): no user to check.
OWN_REQUEST = {"own": True}


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FhirAuthorization(_Request):
    """The client's OAuth 2.0 token for ``fhirServer``: transient, never stored or logged."""

    access_token: BearerToken = Field(repr=False)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: NonEmpty
    # REQUIRED by CDS Hooks 2.0, yet it only names the service's own client id, which spinemets
    # never reads: a client that leaves it out still gets its cards.
    subject: NonEmpty | None = None
    patient: NonEmpty | None = None

    @field_validator("token_type", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        """RFC 6749 §5.1: the token type is case-insensitive; many servers issue ``bearer``."""
        return "Bearer" if isinstance(value, str) and value.lower() == "bearer" else value


class HookContext(_Request):
    """The context of patient-view, order-select and order-sign (other keys are kept)."""

    userId: NonEmpty
    patientId: FhirId
    encounterId: NonEmpty | None = None
    selections: list[NonEmpty] | None = None
    draftOrders: dict[str, Any] | None = None

    @field_validator("patientId")
    @classmethod
    def _not_a_path_segment(cls, value: str) -> str:
        if value in (".", ".."):
            raise ValueError("patientId must be a FHIR id, not '.' or '..'")
        return value

    @field_validator("userId")
    @classmethod
    def _a_user_reference(cls, value: str, info: ValidationInfo) -> str:
        if info.context == OWN_REQUEST:
            return value
        match = _USER.fullmatch(value)
        if match is None or match[1] not in _USERS or match[2] in (".", ".."):
            raise ValueError(  # the value is not repeated: it may be free text, even a name
                "must be a reference Type/id to a Practitioner, PractitionerRole, Patient or "
                "RelatedPerson"
            )
        return value


_UUID_LONGEST = len("urn:uuid:") + 36  # the longest way a UUID is written


def instance_id(hook_instance: str) -> str:
    """How logs and the audit trail name a call's ``hookInstance``: a UUID (CDS Hooks 2.0 makes
    it one) as it is; anything else by its digest, since a client may put anything there, a
    patient's name too. The call is still answered, and its lines still share one id."""
    # The parser drops every dash and brace: only the lengths a UUID is written in pass.
    if len(hook_instance) <= _UUID_LONGEST:
        with contextlib.suppress(ValueError):
            uuid.UUID(hook_instance)
            return hook_instance  # as sent: the EHR finds its calls by a plain search
    return "sha256:" + hashlib.sha256(hook_instance.encode()).hexdigest()[:32]


class CdsRequest(_Request):
    """A CDS service call (``POST {base}/cds-services/{id}``)."""

    hook: NonEmpty
    hookInstance: NonEmpty
    fhirServer: Annotated[str, Field(pattern=r"^https?://[^/?#\s]+")] | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: HookContext
    prefetch: dict[str, dict[str, Any] | None] | None = None

    @field_validator("context")
    @classmethod
    def _an_order_hook_s_user(cls, value: HookContext, info: ValidationInfo) -> HookContext:
        ordering = info.data.get("hook") in ("order-select", "order-sign")
        if ordering and value.userId.split("/", 1)[0] not in _ORDER_USERS:
            raise ValueError(
                "context.userId of an order hook must be a Practitioner or PractitionerRole"
            )
        return value

    @field_validator("fhirServer")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("fhirServer must be an absolute http(s) URL")
            try:  # what the HTTP client will make of it: an invalid IDNA host, a bad port
                httpx.URL(value).host  # noqa: B018 - decoding the host is the check
                _ = parts.port
            except (httpx.InvalidURL, UnicodeError, ValueError):
                raise ValueError("fhirServer is not a usable URL (host or port)") from None
        return value

    @model_validator(mode="after")
    def _server_with_token(self) -> CdsRequest:
        # 3.0 invariant cds-r-1, implied by 2.0 ("fhirServer: REQUIRED if fhirAuthorization").
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization requires fhirServer")
        # A patient-scoped token names its patient: another's record is not read with it.
        token = self.fhirAuthorization
        named = token.patient if token is not None else None
        if named is not None and named != self.context.patientId:
            raise ValueError("fhirAuthorization.patient is not context.patientId")
        return self


class CodingModel(_Response):
    system: str
    code: str
    display: str | None = None


class Source(_Response):
    label: str
    url: str | None = None
    topic: CodingModel | None = None


class Action(_Response):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Response):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Response):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None  # only with type smart (CDS Hooks 2.0)


class Card(_Response):
    uuid: str  # contract §4 v3: every card carries one (feedback names it)
    summary: Summary
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[CodingModel] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required with suggestions")
        return self


class CdsResponse(_Response):
    cards: list[Card]
    systemActions: list[Action] | None = None


class ServiceEntry(_Response):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Response):
    services: list[ServiceEntry]


class _Feedback(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class FeedbackCoding(_Feedback):
    system: NonEmpty
    code: NonEmpty
    display: NonEmpty | None = None


class OverrideReason(_Feedback):
    reason: FeedbackCoding | None = None
    userComment: str | None = None


class AcceptedSuggestion(_Feedback):
    id: NonEmpty


class FeedbackItem(_Feedback):
    """One card's outcome as the client reports it."""

    card: NonEmpty
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    # RFC 3339 with a zone; strict mode would refuse the JSON string, so this field is lax.
    outcomeTimestamp: Annotated[AwareDatetime, Field(strict=False)]

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when the outcome is accepted")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise ValueError("an overridden card has no accepted suggestions")
        if self.outcome == "accepted" and self.overrideReason is not None:
            raise ValueError("overrideReason is only for overridden cards")
        return self


class FeedbackRequest(_Feedback):
    feedback: Annotated[list[FeedbackItem], Field(min_length=1)]

    @field_validator("feedback", mode="before")
    @classmethod
    def _bounded(cls, value: Any, info: ValidationInfo) -> Any:
        # The service's limits (validation context): checked before any item is validated.
        limit = (info.context or {}).get("max_items")
        if isinstance(value, list) and isinstance(limit, int) and len(value) > limit:
            message = "more than {limit} feedback items"
            raise PydanticCustomError("too_long", message, {"limit": limit})
        text = (info.context or {}).get("max_text")
        if isinstance(text, int) and _longest_text(value) > text:
            message = "a feedback text over {limit} characters"
            raise PydanticCustomError("too_long", message, {"limit": text})
        return value


def _longest_text(value: Any) -> int:
    """The longest string anywhere in ``value`` (keys too), without recursion."""
    longest, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return longest
