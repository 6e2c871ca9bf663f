"""``spinemets load FILE... --fhir-server URL``: records (a fixture, an export) into a FHIR server
as PUT transactions, ids kept, so the docs' examples can be tried on any server in one command
and loading twice changes nothing."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from adapter.cli import output
from adapter.errors import InputError
from adapter.fhir.write.load import put_transactions

__all__ = ["add_arguments", "run"]


def add_arguments(load: argparse.ArgumentParser) -> None:
    from adapter.fhir.client import add_server_arguments

    load.add_argument("files", nargs="+", metavar="FILE", help="FHIR Bundles (any type) or NDJSON")
    add_server_arguments(load)


def _resources(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_bytes()
    try:
        first = orjson.loads(text)
        found = _entries(first, path) if _bundle(first) else [first]
    except orjson.JSONDecodeError:
        try:
            found = [orjson.loads(line) for line in text.splitlines() if line.strip()]
        except orjson.JSONDecodeError:
            raise InputError(f"{path}: neither a FHIR Bundle nor NDJSON") from None
    if not text.strip():
        raise InputError(f"{path}: the input is empty")
    for n, resource in enumerate(found, 1):
        if not (isinstance(resource, dict) and resource.get("resourceType") and resource.get("id")):
            raise InputError(f"{path}: resource {n} has no resourceType or id, nothing to PUT")
        yield resource


def _entries(bundle: dict[str, Any], path: Path) -> list[Any]:
    """A Bundle's resources; an entry that is not an object stands as a resource-less entry."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(f"{path}: the Bundle's entry is not a list")
    return [e.get("resource") if isinstance(e, dict) else None for e in entries]


def _bundle(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "Bundle"


def run(args: argparse.Namespace) -> int:
    from adapter.fhir.client import FhirClient, server_settings

    loaded = {name: list(_resources(Path(name))) for name in args.files}
    settings = server_settings(args, timeout=120.0)

    async def send() -> None:
        async with FhirClient.connect(settings) as client:
            for name, resources in loaded.items():
                for bundle in put_transactions(resources):
                    await client.transaction(bundle)
                output.line(f"{name}: {len(resources)} resources")

    asyncio.run(send())
    return 0
