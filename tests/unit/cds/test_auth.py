"""Client JWT verification: the attack matrix is refused with a bare 401; a good token passes."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapter.cds.settings import Issuer
from tests.unit.cds.conftest import BASE, ISS, Keys, call_scores, client_for, patient_view

pytestmark = pytest.mark.anyio
SCORES = f"{BASE}/cds-services/spinemets-scores"
DISCOVERY = f"{BASE}/cds-services"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unsigned(header: dict, payload: dict) -> str:
    return f"{_b64(header)}.{_b64(payload)}."


def _claims(aud: str = SCORES, **extra) -> dict:
    now = int(time.time())
    return {"iss": ISS, "aud": aud, "exp": now + 300, "iat": now, "jti": "j-1", **extra}


def _pem(keys: Keys) -> bytes:
    return keys.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _tampered(keys: Keys) -> str:
    header, _, signature = keys.token(SCORES).split(".")
    return f"{header}.{_b64(_claims(iss=ISS, jti='other'))}.{signature}"


def _hs384_with_public_key(keys: Keys) -> str:
    # PyJWT refuses PEM keys as HMAC secrets, so sign by hand as an attacker would.
    import hashlib
    import hmac

    signing = f"{_b64({'alg': 'HS384', 'typ': 'JWT', 'kid': keys.kid})}.{_b64(_claims())}"
    mac = hmac.new(_pem(keys), signing.encode(), hashlib.sha384).digest()
    return f"{signing}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


ATTACKS = {
    "alg-none": lambda k: _unsigned({"alg": "none", "typ": "JWT", "kid": k.kid}, _claims()),
    "hs384-with-public-key": _hs384_with_public_key,
    "unknown-kid": lambda k: k.token(SCORES, headers={"kid": "nope"}),
    "unknown-iss": lambda k: k.token(SCORES, iss="https://evil.example.org"),
    "jku-not-allowlisted": lambda k: k.token(SCORES, headers={"jku": "https://evil.example.org/jwks"}),
    "wrong-aud": lambda k: k.token("https://elsewhere.example.org/cds-services/spinemets-scores"),
    "expired": lambda k: k.token(SCORES, exp=int(time.time()) - 120, iat=int(time.time()) - 400),
    "iat-in-future": lambda k: k.token(SCORES, iat=int(time.time()) + 600, exp=int(time.time()) + 900),
    "tampered-payload": _tampered,
    "missing-typ": lambda k: jwt.encode(_claims(), k.private, algorithm="ES384",
                                        headers={"kid": k.kid, "typ": None}),
    "missing-kid": lambda k: jwt.encode(_claims(), k.private, algorithm="ES384",
                                        headers={"typ": "JWT"}),
    "other-service": lambda k: k.token(f"{BASE}/cds-services/spinemets-procedure-check"),
    "no-jti": lambda k: k.token(SCORES, jti=None),
    "other-key-same-kid": lambda k: Keys(k.kid).token(SCORES),
    "lifetime-over-an-hour": lambda k: k.token(SCORES, exp=int(time.time()) + 7200),
    "garbage": lambda k: "not.a.jwt",
    # The header and claims are read before the signature is checked: each must be base64url of a
    # JSON object, or the token is not a JWS.
    "header-a-list": lambda k: f"{base64.urlsafe_b64encode(b'[1]').decode()}.{_b64(_claims())}.c2ln",
    "header-not-base64url": lambda k: f"e30*.{_b64(_claims())}.c2ln",
    "claims-not-json": lambda k: f"{_b64({'alg': 'ES384'})}.bm90IGpzb24.c2ln",
    "four-segments": lambda k: f"{k.token(SCORES)}.c2ln",
}  # fmt: skip


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attacks_get_a_bare_401(secured, keys, attack):
    token = ATTACKS[attack](keys)
    async with client_for(secured) as client:
        response = await call_scores(client, token)
    assert response.status_code == 401
    body = response.json()
    assert body == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "login"}],
    }


async def test_valid_token_is_accepted_once(secured, keys):
    token = keys.token(SCORES)
    async with client_for(secured) as client:
        headers = {"Authorization": f"Bearer {token}"}
        first = await client.post(
            "/cds-services/spinemets-scores", json=patient_view(), headers=headers
        )
        replay = await client.post(
            "/cds-services/spinemets-scores", json=patient_view(), headers=headers
        )
        assert first.status_code == 200 and first.json()["cards"]
        assert replay.status_code == 401
        no_token = await client.get("/cds-services")
        assert no_token.status_code == 401
        discovery = await client.get(
            "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY)}"}
        )
        assert discovery.status_code == 200


async def test_public_base_url_sets_the_audience(secured, keys):
    public = "https://cds.example.org/spinemets"
    configured = secured.model_copy(update={"public_base_url": public})
    async with client_for(configured) as client:
        wrong = await client.get(
            "/cds-services", headers={"Authorization": f"Bearer {keys.token(DISCOVERY)}"}
        )
        right = await client.get(
            "/cds-services",
            headers={"Authorization": f"Bearer {keys.token(public + '/cds-services')}"},
        )
    assert (wrong.status_code, right.status_code) == (401, 200)


async def test_allowlisted_jku_and_rs384_keys_from_a_url(tmp_path, respx_mock):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jku = "https://ehr.example.org/.well-known/jwks.json"
    route = respx_mock.get(jku).respond(json={"keys": [{**public, "kid": "rsa-1", "alg": "RS384"}]})
    from adapter.cds.settings import Settings

    settings = Settings(
        state_dir=tmp_path, public_base_url=BASE, issuers=(Issuer(iss=ISS, jku=(jku,)),)
    )
    now = int(time.time())

    def token(jti: str) -> str:
        claims = {"iss": ISS, "aud": DISCOVERY, "exp": now + 300, "iat": now, "jti": jti}
        return jwt.encode(claims, private, algorithm="RS384",
                          headers={"typ": "JWT", "kid": "rsa-1", "jku": jku})  # fmt: skip

    async with client_for(settings) as client:
        for jti in ("a", "b"):
            response = await client.get(
                "/cds-services", headers={"Authorization": f"Bearer {token(jti)}"}
            )
            assert response.status_code == 200
    assert route.call_count == 1  # the key set is cached


async def test_an_rs384_header_on_an_ec_key_is_refused(secured, keys):
    token = keys.token(SCORES)
    _header, payload, signature = token.split(".")
    forged = f"{_b64({'alg': 'RS384', 'typ': 'JWT', 'kid': keys.kid})}.{payload}.{signature}"
    async with client_for(secured) as client:
        response = await call_scores(client, forged)
    assert response.status_code == 401


REASONS = {
    "alg-none": "algorithm", "hs384-with-public-key": "algorithm", "unknown-kid": "unknown kid",
    "unknown-iss": "issuer", "jku-not-allowlisted": "jku", "wrong-aud": "Audience",
    "expired": "Expired", "iat-in-future": "Immature", "tampered-payload": "Signature",
    "missing-typ": "typ", "missing-kid": "kid", "other-service": "Audience", "no-jti": "Missing",
    "other-key-same-kid": "Signature", "lifetime-over-an-hour": "lifetime", "garbage": "JWS",
    "header-a-list": "JWS", "header-not-base64url": "JWS", "claims-not-json": "JWS",
    "four-segments": "JWS",
}  # fmt: skip


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_each_attack_fails_the_check_meant_for_it(tmp_path, keys, attack):
    import httpx

    from adapter.cds.auth import Verifier
    from adapter.errors import AuthenticationError

    (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks))
    issuer = Issuer(iss=ISS, jwks_file=tmp_path / "jwks.json")
    async with httpx.AsyncClient() as http:
        verifier = Verifier([issuer], http)
        with pytest.raises(AuthenticationError, match=REASONS[attack]):
            await verifier.verify(ATTACKS[attack](keys), SCORES)


ACCEPTED_OR_NOT = {
    # RFC 7519 §4.1.4 with the 60 s of leeway: expired 30 s ago is still accepted, 90 s ago not.
    "expired-within-leeway": (lambda k: k.token(SCORES, exp=int(time.time()) - 30,
                                                iat=int(time.time()) - 300), None),
    "expired-beyond-leeway": (lambda k: k.token(SCORES, exp=int(time.time()) - 90,
                                                iat=int(time.time()) - 300), "Expired"),
    "iat-within-leeway": (lambda k: k.token(SCORES, iat=int(time.time()) + 30), None),
    # RFC 7519 §4.1.3: an audience list must hold the URL called.
    "aud-list-holding-the-url": (lambda k: k.token([DISCOVERY, SCORES]), None),
    "aud-list-without-the-url": (lambda k: k.token([DISCOVERY]), "Audience"),
    "signature-not-base64url": (lambda k: k.token(SCORES)[:-4] + "*&^%", "rejected"),
    "signature-cut-short": (lambda k: k.token(SCORES)[:-8], "Signature"),
    "signature-empty": (lambda k: k.token(SCORES).rpartition(".")[0] + ".", "Signature"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ACCEPTED_OR_NOT))
async def test_the_claims_and_signature_are_checked_to_the_letter(tmp_path, keys, case):
    import httpx

    from adapter.cds.auth import Verifier
    from adapter.errors import AuthenticationError

    (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks))
    issuer = Issuer(iss=ISS, jwks_file=tmp_path / "jwks.json")
    make, reason = ACCEPTED_OR_NOT[case]
    async with httpx.AsyncClient() as http:
        verifier = Verifier([issuer], http)
        if reason is None:
            claims = await verifier.verify(make(keys), SCORES)
            assert claims["iss"] == ISS and claims["jti"]
        else:
            with pytest.raises(AuthenticationError, match=reason):
                await verifier.verify(make(keys), SCORES)
