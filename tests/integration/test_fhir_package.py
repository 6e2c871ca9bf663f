"""The conformance resources as a FHIR package: ``spinemets conformance package`` writes a
package.tgz that the HL7 validator loads with ``-ig``; the package's own resources validate with
their narratives (no dom-6), and outputs validate against what the package defines alone."""

from __future__ import annotations

import json
import subprocess
import tarfile

import pytest

from tests.integration.interop import ROOT, THO_PACKAGE, errors, output_profiles, score, validate
from tests.integration.test_questionnaires_sdc import EXTENSIONS_PACKAGE, SDC_PACKAGE, _xver_only

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    path = tmp_path_factory.mktemp("package") / "package.tgz"
    run = subprocess.run(
        [str(ROOT / "scripts" / "spinemets"), "conformance", "package", "--output", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return path


def _resources(path) -> list[dict]:
    with tarfile.open(path) as archive:
        names = [m for m in archive.getnames() if not m.endswith(("package.json", "index.json"))]
        return [json.load(archive.extractfile(name)) for name in names]


def test_the_package_and_outputs_validate_with_the_package_alone(package, tmp_path):
    own = _resources(package)
    assert {r["resourceType"] for r in own} >= {"CodeSystem", "ValueSet", "ConceptMap"}
    outputs = [e["resource"] for e in score(ROOT / "fixtures" / "seed" / "seed-07.json")["entry"]]
    entries = [(r, []) for r in own] + [(r, output_profiles(r)) for r in outputs]
    packages = [THO_PACKAGE, EXTENSIONS_PACKAGE, SDC_PACKAGE]  # the forms' SDC profiles
    results = validate(entries, tmp_path, packages=packages, igs=[package], own=False)
    # What the SDC set-up cannot evaluate offline is set apart as in test_questionnaires_sdc.
    failures = [(r["file"], i["message"]) for r in results for i in errors(r) if not _xver_only(i)]
    assert failures == [], "\n".join(f"{f}: {m}" for f, m in failures)
    narrative = [
        (r["file"], i["message"])
        for r in results
        for i in r["issues"]
        if i.get("messageId") == "Resource_RES_0" or "dom-6" in i["message"]
    ]
    assert narrative == []  # every resource, ours and the outputs, has its narrative
