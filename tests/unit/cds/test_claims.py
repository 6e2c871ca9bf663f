"""JWT claims and headers of every JSON type: a bare 401 (never a 500), the reason in the log."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.cds.auth import Verifier
from adapter.cds.settings import Issuer, Settings
from adapter.errors import AuthenticationError, ConfigurationError
from tests.unit.cds.conftest import BASE, ISS, Keys, call_scores, client_for

pytestmark = pytest.mark.anyio
SCORES = f"{BASE}/cds-services/spinemets-scores"
BARE = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**extra) -> dict:
    now = int(time.time())
    return {"iss": ISS, "aud": SCORES, "exp": now + 300, "iat": now, "jti": "j-1", **extra}


def _unsigned(payload: dict, header: dict | None = None) -> str:
    return f"{_b64(header or {'alg': 'ES384', 'typ': 'JWT', 'kid': 'key-1'})}.{_b64(payload)}.c2ln"


ODD_VALUES = [["https://ehr.example.org"], {"iss": "x"}, 7, 1.5, True, None, "", "x" * 300]

UNSIGNED = {
    **{f"iss-{type(v).__name__}-{i}": _claims(iss=v) for i, v in enumerate(ODD_VALUES)},
    "aud-object": _claims(aud={"a": 1}), "aud-list-of-ints": _claims(aud=[1, 2]),
    "exp-list": _claims(exp=[1]), "iat-string": _claims(iat="now"), "nbf-object": _claims(nbf={}),
    "jti-list": _claims(jti=["a"]), "exp-true": _claims(exp=True),
}  # fmt: skip


@pytest.mark.parametrize("case", list(UNSIGNED))
async def test_unsigned_tokens_with_claims_of_any_type_get_a_bare_401(secured, case, caplog):
    token = _unsigned(UNSIGNED[case])
    with caplog.at_level("INFO", logger="spinemets.cds.auth"):
        async with client_for(secured) as client:
            response = await call_scores(client, token)
    assert response.status_code == 401
    assert response.json() == BARE
    assert "client JWT refused" in caplog.text  # the reason is logged …
    assert token not in caplog.text  # … never the token


HEADERS: dict[str, dict[str, Any]] = {
    "alg-list": {"alg": ["ES384"], "typ": "JWT", "kid": "key-1"},
    "kid-int": {"alg": "ES384", "typ": "JWT", "kid": 1},
    "kid-object": {"alg": "ES384", "typ": "JWT", "kid": {"k": 1}},
    "jku-list": {"alg": "ES384", "typ": "JWT", "kid": "key-1", "jku": ["https://a"]},
    "typ-list": {"alg": "ES384", "typ": ["JWT"], "kid": "key-1"},
}


@pytest.mark.parametrize("case", list(HEADERS))
async def test_headers_of_any_type_get_a_bare_401(secured, case):
    token = _unsigned(_claims(), HEADERS[case])
    async with client_for(secured) as client:
        response = await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()) == (401, BARE)


@given(
    claim=st.sampled_from(["iss", "aud", "exp", "iat", "nbf", "jti", "sub", "tenant"]),
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=6,
    ),
)
@settings(max_examples=200, suppress_health_check=list(HealthCheck))
def test_a_signed_token_with_any_claim_value_verifies_or_is_refused(tmp_path_factory, claim, value):
    """Whatever JSON a signed claim holds, the verifier answers claims or AuthenticationError."""
    import asyncio

    keys = Keys()
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(keys.jwks))
    # Signed by hand: PyJWT's encoder refuses some of these values; an attacker's would not.
    payload = json.dumps(_claims(**{claim: value})).encode()
    token = jwt.api_jws.encode(
        payload, keys.private, algorithm="ES384", headers={"typ": "JWT", "kid": keys.kid}
    )

    async def check() -> None:
        async with httpx.AsyncClient() as http:
            verifier = Verifier([Issuer(iss=ISS, jwks_file=path)], http)
            with contextlib.suppress(AuthenticationError):  # any other exception fails
                await verifier.verify(token, SCORES)

    asyncio.run(check())


async def test_nbf_is_verified_as_rfc_7519_says(secured, keys):
    now = int(time.time())
    async with client_for(secured) as client:
        later = keys.token(SCORES, nbf=now + 600, exp=now + 900)
        earlier = keys.token(SCORES, nbf=now - 10)
        skewed = keys.token(SCORES, nbf=now + 30)  # within the 60 s leeway
        statuses = []
        for token in (later, earlier, skewed):
            response = await call_scores(client, token)
            statuses.append(response.status_code)
    assert statuses == [401, 200, 200]


async def test_the_host_header_never_sets_the_audience(secured, keys):
    """A token minted for another host is refused even when the request claims to be for it."""
    public = "https://cds.example.org"
    configured = secured.model_copy(update={"public_base_url": public})
    async with client_for(configured) as client:
        for host in ("evil.example.org", "cds.example.org"):
            token = keys.token(f"http://{host}/cds-services")
            response = await client.get(
                "/cds-services", headers={"Authorization": f"Bearer {token}", "Host": host}
            )
            assert response.status_code == 401


def test_issuers_without_a_public_base_url_are_refused(tmp_path):
    issuer = Issuer(iss=ISS, jwks_url="https://ehr.example.org/jwks")
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL is required"):
        Settings(state_dir=tmp_path, issuers=(issuer,))


def test_the_refusal_is_one_configuration_line(monkeypatch):
    from adapter.cds.settings import load_settings

    monkeypatch.setenv("SPINEMETS_ISSUERS", '[{"iss": "x", "jwks_url": "https://x/jwks"}]')
    monkeypatch.delenv("SPINEMETS_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert "\n" not in str(raised.value) and "PUBLIC_BASE_URL" in str(raised.value)
