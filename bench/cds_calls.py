"""What the bench's EHR sends the CDS service: patient-view bodies with every prefetch key, the
JWTs that sign each call, the environment that makes ``serve`` trust them, and ``json.loads`` of
the same bodies: the yardstick every CDS time is compared with."""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from synth import patient_resources

from adapter.fhir.read.record_list import RECORD_LIST

ISS = "https://ehr.bench.invalid"
KID = "bench-key"
SERVICE = "/cds-services/spinemets-scores"


def _searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}  # fmt: skip


def bodies(count: int) -> list[bytes]:
    """patient-view requests, each with every prefetch key the service declares."""
    rnd = random.Random(11)
    out = []
    for n in range(count):
        resources = list(patient_resources(n, rnd))
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        prefetch: dict[str, Any] = {"patient": patient}
        for search in RECORD_LIST:  # every key; the types the bench does not make: empty
            if search.params:
                prefetch[search.prefetch_key] = _searchset(
                    [r for r in resources if r["resourceType"] == search.resource_type]
                )
        body = {
            "hook": "patient-view",
            "hookInstance": f"00000000-0000-4000-8000-{n:012d}",
            "context": {"userId": "Practitioner/bench", "patientId": patient["id"]},
            "prefetch": prefetch,
        }
        out.append(json.dumps(body).encode())
    return out


@dataclass(frozen=True)
class Signer:
    """The bench's EHR: its private key, its JWK Set, and a fresh token per call."""

    alg: str
    key: Any

    @classmethod
    def new(cls, alg: str) -> Signer:
        if alg == "ES384":
            return cls(alg, ec.generate_private_key(ec.SECP384R1()))
        return cls(alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwks(self) -> dict[str, Any]:
        algorithm = (
            jwt.algorithms.ECAlgorithm if self.alg == "ES384" else jwt.algorithms.RSAAlgorithm
        )
        jwk = json.loads(algorithm.to_jwk(self.key.public_key()))
        return {"keys": [jwk | {"kid": KID, "alg": self.alg, "use": "sig"}]}

    def tokens(self, audience: str, count: int, lifetime: int) -> list[str]:
        now = int(time.time())
        claims = {"iss": ISS, "sub": "bench-client", "aud": audience, "iat": now,
                  "exp": now + lifetime}  # fmt: skip
        headers = {"kid": KID, "typ": "JWT"}
        return [
            jwt.encode(
                claims | {"jti": str(uuid.uuid4())}, self.key, algorithm=self.alg, headers=headers
            )
            for _ in range(count)
        ]


def server_env(signer: Signer, base: str, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINEMETS_")}
    return env | {
        "SPINEMETS_ISSUERS": json.dumps([{"iss": ISS, "jwks": signer.jwks()}]),
        "SPINEMETS_PUBLIC_BASE_URL": base,
        "SPINEMETS_STATE_DIR": str(state),
        "SPINEMETS_BENCH": "1",
        "SPINEMETS_ACCESS_LOG": "false",
    }


def loads_median(payloads: list[bytes], repeat: int = 50) -> float:
    """Median over the bodies of the least time ``json.loads`` takes on each."""
    per_body = []
    for body in payloads:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            json.loads(body)
            times.append(time.perf_counter() - start)
        per_body.append(min(times))
    return statistics.median(per_body)
