"""The FHIR package of the conformance resources: its manifest, its files, its narratives."""

from __future__ import annotations

import io
import json
import tarfile
import xml.etree.ElementTree as ET

from adapter import __version__, cli
from adapter.fhir.client import conformance_files
from adapter.fhir.write.package import PACKAGE_NAME, build_package, conformance_narrative
from adapter.mapping.terminology import default_mappings_dir


def _members(data: bytes) -> dict[str, dict]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {m.name: json.load(archive.extractfile(m)) for m in archive.getmembers()}


def test_the_package_holds_every_resource_with_a_narrative_and_a_manifest(tmp_path, capsys):
    out = tmp_path / "package.tgz"
    assert cli.main(["conformance", "package", "--output", str(out)]) == 0
    members = _members(out.read_bytes())
    manifest = members.pop("package/package.json")
    assert manifest["name"] == PACKAGE_NAME and manifest["version"] == __version__
    assert manifest["fhirVersions"] == ["4.0.1"] and "hl7.fhir.r4.core" in manifest["dependencies"]
    index = members.pop("package/.index.json")
    assert len(index["files"]) == len(members)
    mapped = len(list(default_mappings_dir().glob("*.json")))
    assert len(members) >= mapped + 3  # mappings/ and the three Questionnaires
    for name, resource in members.items():
        assert name == f"package/{resource['resourceType']}-{resource['id']}.json"
        assert resource["text"]["status"] == "generated"
        ET.fromstring(resource["text"]["div"])  # well-formed XHTML


def test_the_package_is_reproducible():
    resources = conformance_files([default_mappings_dir()])
    assert build_package(resources) == build_package(list(reversed(resources)))


def test_a_code_system_narrative_lists_its_codes():
    system = {"resourceType": "CodeSystem", "id": "x", "title": "Levels",
              "concept": [{"code": "T8", "display": "Eighth thoracic vertebra"}]}  # fmt: skip
    div = conformance_narrative(system)["text"]["div"]
    assert "Levels" in div and "T8: Eighth thoracic vertebra" in div
    kept = {**system, "text": {"status": "additional", "div": "<div/>"}}
    assert conformance_narrative(kept) is kept  # a narrative of its own stays
