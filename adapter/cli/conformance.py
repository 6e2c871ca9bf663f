"""``spinemets conformance upload|package``: publish spinemets' conformance resources.

httpx is imported inside the command so that ``score`` starts fast.
"""

from __future__ import annotations

import argparse

from adapter.cli import output as stdout

__all__ = ["add_arguments", "run"]


def add_arguments(conformance: argparse.ArgumentParser) -> None:
    """``spinemets conformance upload`` and its server options."""
    from adapter.fhir.client import add_server_arguments

    # Subcommands are of the command's own parser class: its one-line errors.
    actions = conformance.add_subparsers(dest="action", required=True)
    upload = actions.add_parser(
        "upload", help="create or update every CodeSystem, ValueSet, ConceptMap and profile"
    )
    add_server_arguments(upload)
    package = actions.add_parser(
        "package", help="write them as a FHIR package (package.tgz, with narratives)"
    )
    package.add_argument(
        "--output", required=True, metavar="FILE", help="the package file to write (.tgz)"
    )


def run(args: argparse.Namespace) -> int:
    """Create or update every conformance resource on the server, or write them as a package."""
    import asyncio

    from adapter.fhir.client import (
        FhirClient,
        conformance_files,
        default_profiles_dir,
        default_questionnaires_dir,
        server_settings,
        upload_conformance,
    )
    from adapter.fhir.write.package import build_package, conformance_narrative
    from adapter.mapping.terminology import default_mappings_dir

    directories = [default_mappings_dir(), default_profiles_dir(), default_questionnaires_dir()]
    resources = [conformance_narrative(r) for r in conformance_files(directories)]
    if args.action == "package":
        return _write_package(args.output, build_package(resources))
    settings = server_settings(args, timeout=60.0)

    async def upload() -> None:
        async with FhirClient.connect(settings) as client:
            for done in await upload_conformance(client, resources):
                version = f" (version {done.version_id})" if done.version_id else ""
                stdout.line(f"{done.resource_type}/{done.server_id} {done.url}{version}")

    asyncio.run(upload())
    return 0


def _write_package(output: str, data: bytes) -> int:
    from pathlib import Path

    from adapter.errors import OutputPathError

    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise OutputPathError(f"cannot write {output}: {exc.strerror}") from None
    stdout.line(f"{output}: {len(data)} bytes")
    return 0
