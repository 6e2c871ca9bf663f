"""Who signed in: the ``fhirUser`` of the OpenID Connect ``id_token`` in the token response
(SMART App Launch 2.x, scopes ``openid fhirUser``), as the author of what the app saves.

The id_token came straight from the token endpoint, over https or loopback (the discovery
refuses other endpoints), so, as OpenID Connect Core 1.0, section 3.1.3.7, allows, TLS server
validation stands in for its signature; its claims are still checked: ``aud`` names this client,
``exp`` has not passed, ``iss`` is the issuer the SMART configuration publishes (when it does).
An id_token that fails a check is set aside with one log line (never the token): the user is
then unknown, as without an id_token, and nothing is saved with an author.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import jwt

__all__ = ["AUTHORS", "IDENTITY_SCOPES", "author_of", "user_of"]

log = logging.getLogger("spinemets.smart")

IDENTITY_SCOPES = ("openid", "fhirUser")
LEEWAY_SECONDS = 60  # clocks of the app and the authorization server may differ a little
# SMART: fhirUser is one of these. QuestionnaireResponse.author takes all but Person.
_USER_TYPES = ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson", "Person")
AUTHORS = ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson")
_REFERENCE = re.compile(
    r"^(?:https://[^\s/?#]+(?:/[^\s/?#]+)*/|http://(?:127\.0\.0\.1|localhost)(?::\d+)?"
    r"(?:/[^\s/?#]+)*/)?(" + "|".join(_USER_TYPES) + r")/[A-Za-z0-9\-.]{1,64}$"
)
_WHY = {
    jwt.DecodeError: "not a JWT",
    jwt.InvalidAudienceError: "issued to another client",
    jwt.ExpiredSignatureError: "expired",
    jwt.InvalidIssuerError: "from another issuer",
    jwt.MissingRequiredClaimError: "a required claim is missing",
    jwt.ImmatureSignatureError: "not valid yet",
}


def _claims(id_token: str, client_id: str, issuer: str | None) -> dict[str, Any]:
    # The signature is not checked (see the module's docstring); every claim check is.
    options: Any = {"verify_signature": False, "verify_aud": True, "verify_exp": True,
                    "verify_iat": True, "verify_nbf": True, "verify_iss": issuer is not None,
                    "require": ["aud", "exp"] + (["iss"] if issuer else [])}  # fmt: skip
    claims = jwt.decode(
        id_token, options=options, audience=client_id, issuer=issuer, leeway=LEEWAY_SECONDS
    )
    return claims if isinstance(claims, dict) else {}


def _reference(value: Any, fhir_base: str) -> str | None:
    """``fhirUser`` as a reference: relative when under the FHIR server's base."""
    if not isinstance(value, str):
        return None
    prefix = fhir_base.rstrip("/") + "/"
    reference = value[len(prefix) :] if value.startswith(prefix) else value
    return reference if _REFERENCE.match(reference) else None


def user_of(token: Any, client_id: str, issuer: str | None, fhir_base: str) -> str | None:
    """The signed-in user of a token response (``Practitioner/123``), or None."""
    id_token = token.get("id_token")
    if id_token is None:
        return None
    try:
        if not isinstance(id_token, str):
            raise jwt.DecodeError
        claims = _claims(id_token, client_id, issuer)
    except jwt.PyJWTError as exc:
        why = next((w for kind, w in _WHY.items() if isinstance(exc, kind)), "unusable")
        log.warning("SMART launch: the id_token was set aside (%s): no author", why)
        return None
    user = _reference(claims.get("fhirUser"), fhir_base)
    if user is None:
        log.warning("SMART launch: the id_token names no usable fhirUser: no author")
    return user


def author_of(user: str | None) -> str | None:
    """The user as a QuestionnaireResponse's author, when FHIR R4 allows that type there."""
    if user is None:
        return None
    kind = user.rsplit("/", 2)[-2]
    return user if kind in AUTHORS else None
