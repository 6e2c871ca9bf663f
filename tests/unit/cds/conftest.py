"""Shared pieces of the CDS service tests: an in-process app, seed-patient prefetches, JWT keys."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from adapter.cds.app import create_app
from adapter.cds.settings import Issuer, Settings
from adapter.fhir.read.record_list import RECORD_LIST
from adapter.mapping.terminology import Terminology

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "fixtures" / "seed"
FHIR = "https://fhir.example.org/r4"
ISS = "https://ehr.example.org"
BASE = "http://test"


def seed_resources(name: str = "seed-01") -> list[dict]:
    bundle = json.loads((SEED / f"{name}.json").read_text())
    return [e["resource"] for e in bundle["entry"]]


def searchset(resources: list[dict], next_url: str | None = None) -> dict:
    bundle: dict = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


# Every search of the record list, by prefetch key (the Patient is filled on its own).
PREFETCH_TYPES = {s.prefetch_key: s.resource_type for s in RECORD_LIST if s.params}


def prefetch_for(resources: list[dict]) -> dict:
    """Every prefetch key of every service, filled as a CDS client would fill them."""
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    out: dict = {"patient": patient}
    for key, rtype in PREFETCH_TYPES.items():
        out[key] = searchset([r for r in resources if r["resourceType"] == rtype])
    return out


def patient_view(resources: list[dict] | None = None, **extra) -> dict:
    resources = resources if resources is not None else seed_resources()
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": patient["id"]},
        "prefetch": prefetch_for(resources),
    }
    body.update(extra)
    return body


SEED_NOW = "2024-06-01T00:00:00Z"  # twelve days after the seed patients' assessment


async def call_scores(client: httpx.AsyncClient, token: str) -> httpx.Response:
    """One patient-view call of spinemets-scores with ``token`` as the bearer."""
    return await client.post(
        "/cds-services/spinemets-scores", json=patient_view(),
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip


@pytest.fixture(autouse=True)
def seed_clock(monkeypatch):
    """Services compute at the time of the request; pinned near the seed assessments, so the
    fixtures' inputs are current rather than years old."""
    from adapter.cds import services
    from adapter.fhir.read.timing import parse_time

    monkeypatch.setattr(services, "now_time", lambda: parse_time(SEED_NOW))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(state_dir=tmp_path)


@asynccontextmanager
async def client_for(settings: Settings, terminology: Terminology | None = None):
    app = create_app(settings, terminology=terminology)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest.fixture
async def client(settings):
    async with client_for(settings) as c:
        yield c


class Keys:
    """An ES384 key pair published as a JWK Set, and a token factory."""

    def __init__(self, kid: str = "key-1") -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP384R1())
        public = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwks = {"keys": [{**public, "kid": kid, "alg": "ES384", "use": "sig"}]}

    def token(self, aud: str, *, headers: dict | None = None, **claims) -> str:
        now = int(time.time())
        payload = {
            "iss": ISS, "aud": aud, "exp": now + 300, "iat": now,
            "jti": str(uuid.uuid4()), **claims,
        }  # fmt: skip
        header = {"typ": "JWT", "kid": self.kid, **(headers or {})}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, self.private, algorithm="ES384", headers=header)


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def secured(tmp_path, keys) -> Settings:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks))
    return Settings(
        state_dir=tmp_path,
        public_base_url=BASE,
        issuers=(Issuer(iss=ISS, jwks_file=jwks, jku=("https://ehr.example.org/jwks.json",)),),
    )
