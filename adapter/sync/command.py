"""``spinemets sync``: choose patients, authenticate, run, report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx

from adapter.errors import ConfigurationError, InputError
from adapter.fhir.client import FhirClient
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import now_time
from adapter.sync.auth import (
    NoAuth,
    SmartBackendServices,
    StaticToken,
    TokenSource,
    load_private_key,
)
from adapter.sync.reader import all_patients, changed_patients
from adapter.sync.runner import Outcome, sync_patients

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fhir-server", required=True, help="FHIR R4 base URL")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", action="append", metavar="ID", help="a patient id (repeatable)")
    who.add_argument(
        "--all", action="store_true", help="every patient with a bone-metastasis Condition"
    )
    who.add_argument(
        "--since", metavar="TIME", help="patients whose inputs changed after TIME (FHIR instant)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="patients in flight at once (default 4)"
    )
    parser.add_argument(
        "--original", action="store_true", help="also write the original 1990 Tokuhashi score"
    )
    parser.add_argument(
        "--token-env",
        default="SPINEMETS_FHIR_TOKEN",
        help="environment variable holding a static bearer token (default SPINEMETS_FHIR_TOKEN)",
    )
    parser.add_argument("--smart-client-id", help="SMART Backend Services client id")
    parser.add_argument("--smart-key", type=Path, help="its private key: PEM, or a private JWK")
    parser.add_argument("--smart-kid", help="the key's kid, when the key file does not name it")
    parser.add_argument(
        "--smart-token-url", help="token endpoint (default: from .well-known/smart-configuration)"
    )


async def _token_source(args: argparse.Namespace, http: httpx.AsyncClient) -> TokenSource:
    if args.smart_client_id or args.smart_key:
        if not (args.smart_client_id and args.smart_key):
            raise ConfigurationError(
                "SMART Backend Services needs --smart-client-id and --smart-key"
            )
        key = load_private_key(args.smart_key, args.smart_kid)
        token_url = args.smart_token_url
        if not token_url:
            discovery = FhirClient(http, args.fhir_server)
            config = await discovery.get(".well-known/smart-configuration")
            token_url = config.get("token_endpoint")
            if not isinstance(token_url, str):
                raise ConfigurationError("the server's smart-configuration names no token_endpoint")
        return SmartBackendServices(http, token_url, args.smart_client_id, key)
    token = os.environ.get(args.token_env)
    return StaticToken(token) if token else NoAuth()


class _Progress:
    """A one-line progress bar on a terminal; silent otherwise (logs, CI)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.live = sys.stderr.isatty()

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        self.failed += outcome.status == "failed"
        if self.live:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (width - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} · failed {self.failed}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


async def run(args: argparse.Namespace) -> int:
    """Exit 0 when every patient synced, 1 when some failed (listed), 2 for unusable arguments."""
    if args.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    if args.since and parse_time(args.since) is None:
        raise InputError(f"--since {args.since!r} is not a FHIR instant")
    term = default_terminology()
    limits = httpx.Limits(max_connections=max(8, 3 * args.concurrency))
    async with httpx.AsyncClient(limits=limits) as http:
        source = await _token_source(args, http)
        lister = FhirClient(http, args.fhir_server, token=await source.token(), max_pages=10_000)
        if args.patient:
            patients = list(args.patient)
        elif args.all:
            patients = await all_patients(lister, term)
        else:
            patients = await changed_patients(lister, args.since)

        async def make_client() -> FhirClient:
            return FhirClient(
                http, args.fhir_server, token=await source.token(), timeout=30.0, max_pages=1_000
            )

        summary = await sync_patients(
            make_client, term, patients, now=now_time(), concurrency=args.concurrency,
            original=args.original, on_done=_Progress(len(patients)),
        )  # fmt: skip
    print("\n".join(summary.lines()))
    return 1 if summary.failed else 0
