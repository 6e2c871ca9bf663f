"""The command-line options that say which FHIR server to use and how to authenticate to it,
shared by every command that talks to one (sync, subscriptions, conformance upload)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import httpx

from adapter.errors import ConfigurationError
from adapter.fhir.client._auth import BearerToken, SmartBackendAuth, load_private_key
from adapter.fhir.client._settings import FhirServerSettings

__all__ = ["add_server_arguments", "server_settings"]


def add_server_arguments(
    parser: argparse.ArgumentParser, *, server_help: str | None = None
) -> None:
    """``--fhir-server`` (required unless ``server_help`` says where it comes from otherwise)
    and the authentication options."""
    parser.add_argument(
        "--fhir-server", required=server_help is None, help=server_help or "FHIR R4 base URL"
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


def _auth(args: argparse.Namespace) -> httpx.Auth | None:
    if args.smart_client_id or args.smart_key:
        if not (args.smart_client_id and args.smart_key):
            raise ConfigurationError(
                "SMART Backend Services needs --smart-client-id and --smart-key"
            )
        return SmartBackendAuth(
            client_id=args.smart_client_id,
            key=load_private_key(args.smart_key, args.smart_kid),
            token_url=args.smart_token_url,
            fhir_base=args.fhir_server,
        )
    # From the environment, never an argument: it stays out of shell history and process lists.
    token = os.environ.get(args.token_env)
    return BearerToken(token) if token else None


def server_settings(
    args: argparse.Namespace, *, timeout: float = 30.0, max_connections: int = 8
) -> FhirServerSettings:
    """The FHIR server the command line names, with its authentication."""
    return FhirServerSettings(
        base_url=args.fhir_server,
        auth=_auth(args),
        timeout=timeout,
        max_connections=max_connections,
    )
