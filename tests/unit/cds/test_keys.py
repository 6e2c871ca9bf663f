"""JWK Sets: one fetch in flight per set, a negative cache, local keys, jku mapped to local keys."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import jwt
import pytest

from adapter.cds.auth import Verifier
from adapter.cds.keys import REFRESH_COOLDOWN, KeyStore
from adapter.cds.serve import preflight
from adapter.cds.settings import Issuer, Settings, load_settings
from adapter.errors import AuthenticationError, ConfigurationError
from tests.unit.cds.conftest import Keys, call_scores, client_for

pytestmark = pytest.mark.anyio
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"
ISS = "https://ehr.example.org"
AUD = "http://test/cds-services"
# The public CDS Hooks sandbox (cds-hooks/sandbox): its issuer and the jku its tokens carry.
SANDBOX = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _token(
    keys: Keys, *, iss: str = ISS, kid: str | None = None, jku: str | None = None, aud: str = AUD
) -> str:
    now = int(time.time())
    claims = {"iss": iss, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    headers = {"typ": "JWT", "kid": kid or keys.kid, **({"jku": jku} if jku else {})}
    return jwt.encode(claims, keys.private, algorithm="ES384", headers=headers)


async def test_fifty_misses_on_a_hanging_jwks_url_fetch_it_once(caplog):
    keys, clock = Keys(), Clock()
    release, calls = asyncio.Event(), []

    async def hanging(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        await release.wait()
        return httpx.Response(200, json=keys.jwks)

    issuer = Issuer(iss=ISS, jwks_url=JWKS_URL)
    async with httpx.AsyncClient(transport=httpx.MockTransport(hanging)) as http:
        store = KeyStore([issuer], http, clock=clock)
        verifier = Verifier([issuer], http, keys=store)
        tokens = [_token(keys, kid=f"unknown-{n}") for n in range(50)]
        pending = [asyncio.ensure_future(verifier.verify(t, AUD)) for t in tokens]
        await asyncio.sleep(0.05)  # let every verification reach the fetch
        assert len(calls) == 1  # single-flight: one fetch for fifty misses
        release.set()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, AuthenticationError) for r in results)
        # Negative cache: the same misses again, within the cooldown, fetch nothing.
        for token in tokens[:10]:
            with pytest.raises(AuthenticationError, match="unknown kid"):
                await verifier.verify(token, AUD)
        assert len(calls) == 1
        clock.now += REFRESH_COOLDOWN
        with pytest.raises(AuthenticationError, match="unknown kid"):
            await verifier.verify(tokens[0], AUD)
        assert len(calls) == 2  # after the cooldown, one more fetch
        claims = await verifier.verify(_token(keys), AUD)  # the known kid still works
        assert claims["iss"] == ISS


async def test_a_failing_jwks_url_is_cached_as_failed_and_logged(caplog):
    calls = []

    def failing(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, text="database password=hunter2")

    issuer = Issuer(iss=ISS, jwks_url=JWKS_URL)
    async with httpx.AsyncClient(transport=httpx.MockTransport(failing)) as http:
        verifier = Verifier([issuer], http, keys=KeyStore([issuer], http, clock=Clock()))
        with caplog.at_level("WARNING", logger="spinemets.cds.keys"):
            for _ in range(5):
                with pytest.raises(AuthenticationError, match="JWK Set unavailable"):
                    await verifier.verify(_token(Keys()), AUD)
    assert len(calls) == 1
    assert f"url:{JWKS_URL} unavailable: HTTP 503" in caplog.text
    assert "hunter2" not in caplog.text


async def test_a_huge_jwks_answer_is_not_buffered():
    def flood(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"[" + b"0," * 2_000_000 + b"0]")

    issuer = Issuer(iss=ISS, jwks_url=JWKS_URL)
    async with httpx.AsyncClient(transport=httpx.MockTransport(flood)) as http:
        verifier = Verifier([issuer], http)
        with pytest.raises(AuthenticationError, match="JWK Set unavailable"):
            await verifier.verify(_token(Keys()), AUD)


def _settings(tmp_path, issuer: Issuer) -> Settings:
    return Settings(state_dir=tmp_path, public_base_url="http://test", issuers=(issuer,))


async def test_the_sandbox_is_trusted_offline_through_a_jku_mapped_to_inline_keys(
    tmp_path, respx_mock
):
    """The sandbox's tokens name its jku; mapped to local keys, no request leaves the host."""
    sandbox = Keys("sandbox-key")  # stands in for the sandbox's published key pair
    issuer = Issuer(iss=SANDBOX, jwks=sandbox.jwks, local_jku=(SANDBOX_JKU,))
    async with client_for(_settings(tmp_path, issuer)) as client:
        token = _token(sandbox, iss=SANDBOX, jku=SANDBOX_JKU)
        response = await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        other = _token(sandbox, iss=SANDBOX, jku="https://sandbox.cds-hooks.org/other.json")
        refused = await client.get("/cds-services", headers={"Authorization": f"Bearer {other}"})
        assert refused.status_code == 401
    assert not respx_mock.calls  # nothing fetched: respx would have recorded any request


async def test_keys_from_a_file_with_a_mapped_jku(tmp_path, respx_mock):
    keys = Keys()
    path = tmp_path / "sandbox-jwks.json"
    path.write_text(json.dumps(keys.jwks))
    issuer = Issuer(iss=SANDBOX, jwks_file=path, local_jku=(SANDBOX_JKU,))
    async with client_for(_settings(tmp_path, issuer)) as client:
        for jku in (SANDBOX_JKU, None):
            token = _token(keys, iss=SANDBOX, jku=jku, aud=f"{AUD}/spinemets-scores")
            response = await call_scores(client, token)
            assert response.status_code == 200
    assert not respx_mock.calls


def test_local_jku_needs_local_keys_and_one_key_source():
    with pytest.raises(ValueError, match="local_jku needs"):
        Issuer(iss=SANDBOX, jku=(SANDBOX_JKU,), local_jku=(SANDBOX_JKU,))
    with pytest.raises(ValueError, match="one of"):
        Issuer(iss=SANDBOX, jwks_url=SANDBOX_JKU, jwks={"keys": []})
    with pytest.raises(ValueError, match="not https"):
        Issuer(iss=SANDBOX, jwks_url="http://sandbox.cds-hooks.org/jwks.json")
    assert Issuer(iss=SANDBOX, jwks_url="http://127.0.0.1:9/jwks.json").jwks_url


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "cannot read jwks_file"), ("{not json", "not usable"),
     ('{"keys": []}', "not usable"), ('{"keys": [{"kty": "EC"}]}', "not usable")],
)  # fmt: skip
def test_an_unusable_jwks_file_stops_start_up_with_one_line(tmp_path, capsys, content, reason):
    from adapter.cds.serve import run

    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content)
    issuer = Issuer(iss=ISS, jwks_file=path)
    with pytest.raises(ConfigurationError, match=reason):
        preflight(_settings(tmp_path, issuer))
    issuers = json.dumps([{"iss": ISS, "jwks_file": str(path)}])
    env = {"SPINEMETS_ISSUERS": issuers, "SPINEMETS_PUBLIC_BASE_URL": "https://cds.example.org",
           "SPINEMETS_STATE_DIR": str(tmp_path)}  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert load_settings().issuers[0].jwks_file == path
        assert run(port=0) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err and "Traceback" not in err
