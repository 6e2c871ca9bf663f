"""Authentication to a FHIR server as httpx.Auth: static bearer tokens and SMART Backend Services
(token fetched, cached, refreshed and shared inside the auth flow). respx stands in for servers."""

from __future__ import annotations

import argparse
import asyncio
import json
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapter.errors import ConfigurationError, FhirServerError, InputError
from adapter.fhir.client import (
    BearerToken,
    FhirClient,
    FhirServerSettings,
    SmartBackendAuth,
    add_server_arguments,
    load_private_key,
    server_settings,
)

TOKEN_URL = "https://auth.example.org/token"
FHIR = "https://fhir.example.org/r4"
PATIENT = {"resourceType": "Patient", "id": "p"}


def pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def key(tmp_path):
    (tmp_path / "k.pem").write_bytes(pem(ec.generate_private_key(ec.SECP384R1())))
    return load_private_key(tmp_path / "k.pem", "k")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def run_reads(auth, n: int = 1, *, parallel: bool = False):
    async def go():
        settings = FhirServerSettings(base_url=FHIR, auth=auth)
        async with FhirClient.connect(settings) as client:
            if parallel:
                return await asyncio.gather(*(client.read("Patient", "p") for _ in range(n)))
            return [await client.read("Patient", "p") for _ in range(n)]

    return asyncio.run(go())


@pytest.mark.parametrize(("make", "alg"), [(lambda: ec.generate_private_key(ec.SECP384R1()), "ES384"),
                                           (lambda: rsa.generate_private_key(65537, 2048), "RS384")])  # fmt: skip
def test_client_assertion_is_signed_and_verifiable(tmp_path, make, alg):
    private = make()
    path = tmp_path / "key.pem"
    path.write_bytes(pem(private))
    loaded = load_private_key(path, "k1")
    assert loaded.algorithm == alg and "PRIVATE" not in repr(loaded)
    smart = SmartBackendAuth(client_id="client-7", key=loaded, token_url=TOKEN_URL)
    token = smart.assertion(1_000_000.0, TOKEN_URL)
    assert jwt.get_unverified_header(token) == {"alg": alg, "kid": "k1", "typ": "JWT"}
    claims = jwt.decode(token, private.public_key(), algorithms=[alg], audience=TOKEN_URL,
                        options={"verify_exp": False})  # fmt: skip
    assert claims["iss"] == claims["sub"] == "client-7"
    assert claims["exp"] - claims["iat"] == 300 and claims["jti"]


def test_private_jwk_with_kid(tmp_path):
    private = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private))
    jwk["kid"] = "from-jwk"
    path = tmp_path / "key.jwk"
    path.write_text(json.dumps(jwk))
    assert load_private_key(path).kid == "from-jwk"


def test_unusable_keys_are_configuration_errors(tmp_path):
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ConfigurationError, match="not a PEM"):
        load_private_key(tmp_path / "bad.pem", "k")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_private_key(tmp_path / "missing.pem", "k")
    (tmp_path / "k.pem").write_bytes(pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(ConfigurationError, match="kid"):
        load_private_key(tmp_path / "k.pem")


@respx.mock
def test_token_is_fetched_once_inside_the_auth_flow_and_sent_to_the_fhir_server(key):
    token = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "abc", "expires_in": 300})
    )
    fhir = respx.get(f"{FHIR}/Patient/p").mock(return_value=httpx.Response(200, json=PATIENT))
    run_reads(SmartBackendAuth(client_id="client-7", key=key, token_url=TOKEN_URL), 2)
    assert token.call_count == 1
    form = parse_qs(token.calls[0].request.content.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assert "system/Observation.write" in form["scope"][0]
    assert [c.request.headers["authorization"] for c in fhir.calls] == ["Bearer abc"] * 2
    assert "authorization" not in token.calls[0].request.headers


@respx.mock
def test_concurrent_requests_share_one_token_fetch(key):
    token = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "abc", "expires_in": 300})
    )
    respx.get(f"{FHIR}/Patient/p").mock(return_value=httpx.Response(200, json=PATIENT))
    run_reads(SmartBackendAuth(client_id="c", key=key, token_url=TOKEN_URL), 10, parallel=True)
    assert token.call_count == 1


@respx.mock
def test_token_is_refreshed_30_s_before_it_expires(key):
    answers = iter(["first", "second"])
    token = respx.post(TOKEN_URL).mock(
        side_effect=lambda _: httpx.Response(
            200, json={"access_token": next(answers), "expires_in": 100}
        )
    )
    fhir = respx.get(f"{FHIR}/Patient/p").mock(return_value=httpx.Response(200, json=PATIENT))
    clock = Clock()
    auth = SmartBackendAuth(client_id="c", key=key, token_url=TOKEN_URL, clock=clock)
    run_reads(auth)
    clock.now += 60  # 40 s left: still good
    run_reads(auth)
    clock.now += 15  # 25 s left: renewed
    run_reads(auth)
    assert token.call_count == 2
    sent = [c.request.headers["authorization"] for c in fhir.calls]
    assert sent == ["Bearer first", "Bearer first", "Bearer second"]


@respx.mock
def test_a_401_from_the_fhir_server_renews_the_token_once(key):
    answers = iter(["revoked", "fresh"])
    respx.post(TOKEN_URL).mock(
        side_effect=lambda _: httpx.Response(
            200, json={"access_token": next(answers), "expires_in": 300}
        )
    )
    fhir = respx.get(f"{FHIR}/Patient/p").mock(
        side_effect=lambda request: httpx.Response(
            200 if request.headers["authorization"] == "Bearer fresh" else 401, json=PATIENT
        )
    )
    assert run_reads(SmartBackendAuth(client_id="c", key=key, token_url=TOKEN_URL)) == [PATIENT]
    assert fhir.call_count == 2


@respx.mock
def test_token_endpoint_from_smart_configuration(key):
    respx.get(f"{FHIR}/.well-known/smart-configuration").mock(
        return_value=httpx.Response(200, json={"token_endpoint": TOKEN_URL})
    )
    token = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "abc", "expires_in": 300})
    )
    respx.get(f"{FHIR}/Patient/p").mock(return_value=httpx.Response(200, json=PATIENT))
    run_reads(SmartBackendAuth(client_id="c", key=key, fhir_base=FHIR), 2)
    assert token.call_count == 1
    claims = jwt.decode(parse_qs(token.calls[0].request.content.decode())["client_assertion"][0],
                        options={"verify_signature": False})  # fmt: skip
    assert claims["aud"] == TOKEN_URL


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [httpx.Response(401, json={"error": "invalid_client"}), httpx.Response(200, json={"no": "token"}),
     httpx.Response(200, text="<html>"), httpx.Response(200, json={"access_token": "bad token"})],
)  # fmt: skip
def test_token_endpoint_failures_are_server_errors(key, answer):
    respx.post(TOKEN_URL).mock(return_value=answer)
    fhir = respx.get(f"{FHIR}/Patient/p").mock(return_value=httpx.Response(200, json=PATIENT))
    with pytest.raises(FhirServerError, match="token endpoint"):
        run_reads(SmartBackendAuth(client_id="c", key=key, token_url=TOKEN_URL))
    assert fhir.call_count == 0


@respx.mock
def test_static_bearer_token_goes_to_the_fhir_server_only():
    fhir = respx.get(f"{FHIR}/Patient/p").mock(return_value=httpx.Response(200, json=PATIENT))
    auth = BearerToken("s3cr3t-t0ken")
    assert "s3cr3t" not in repr(auth)
    run_reads(auth)
    assert fhir.calls[0].request.headers["authorization"] == "Bearer s3cr3t-t0ken"


@pytest.mark.parametrize("token", ["héllo", "two words", "new\nline", ""])
def test_a_bearer_token_outside_the_grammar_is_refused(token):
    with pytest.raises(InputError):
        BearerToken(token)


def parse(argv, env=None, monkeypatch=None):
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    return parser.parse_args(["--fhir-server", FHIR, *argv])


def test_command_line_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEMETS_FHIR_TOKEN", "tok")
    settings = server_settings(parse([]), timeout=12, max_connections=3)
    assert isinstance(settings.auth, BearerToken) and settings.timeout == 12
    assert "tok" not in repr(settings)
    monkeypatch.delenv("SPINEMETS_FHIR_TOKEN")
    assert server_settings(parse([])).auth is None
    with pytest.raises(ConfigurationError, match="--smart-client-id and --smart-key"):
        server_settings(parse(["--smart-client-id", "c"]))
    (tmp_path / "k.pem").write_bytes(pem(ec.generate_private_key(ec.SECP384R1())))
    smart = server_settings(parse(["--smart-client-id", "c", "--smart-key", str(tmp_path / "k.pem"),
                                   "--smart-kid", "k"]))  # fmt: skip
    assert isinstance(smart.auth, SmartBackendAuth)


@pytest.mark.parametrize("url", ["ftp://x/fhir", "fhir.example.org", "https://"])
def test_unusable_server_urls_are_configuration_errors(url):
    with pytest.raises(ConfigurationError):
        FhirServerSettings(base_url=url)
