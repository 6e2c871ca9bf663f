"""Third-party material for the interoperability tests: the pinned FHIR npm packages (mCODE, R4
core) and the HL7 validation engine of validator/, both installed by scripts the suite calls."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from adapter import cli

ROOT = Path(__file__).resolve().parents[2]
MCODE_PACKAGE = "hl7.fhir.us.mcode#4.0.0"
THO_PACKAGE = "hl7.terminology.r4#7.0.1"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
MCODE_CANCER_CONDITIONS = (
    f"{MCODE}mcode-primary-cancer-condition",
    f"{MCODE}mcode-secondary-cancer-condition",
)
PROFILE = "http://spinemets.org/fhir/StructureDefinition/"


@functools.cache
def fhir_packages() -> Path:
    """The FHIR package cache of scripts/fhir-packages (installed on first use, then offline)."""
    run = subprocess.run(
        [str(ROOT / "scripts" / "fhir-packages")], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    return Path(run.stdout.strip().splitlines()[-1])


def mcode_examples() -> list[dict]:
    folder = fhir_packages() / MCODE_PACKAGE / "package" / "example"
    # (the validator indexes the folder: .index.json is not an example)
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def score(path: Path, *args: str) -> dict:
    """``spinemets score PATH ARGS`` in-process: the output Bundle (exit status 0 asserted)."""
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["score", str(path), *args])
    assert code == 0, err.getvalue()
    out.flush()
    return json.loads(out.buffer.getvalue())


def computed(path: Path, now: str) -> dict:
    """What the computation makes of each patient of ``path``, as ``spinemets score`` lays it
    out, before a file keeps only what has a basis (``PatientResult.on_file``): every score of a
    patient with no bone metastasis too. For tests of the mapping of third-party records, whose
    patients may hold none (mCODE's examples hold none)."""
    from adapter.fhir.read.issues import Issue
    from adapter.fhir.read.timing import parse_time
    from adapter.fhir.write.outcome import operation_outcome
    from adapter.mapping.terminology import default_terminology
    from adapter.pipeline import read_patients, score_patient

    loose: list[Issue] = []
    entries, issues = [], []
    for data in read_patients(str(path), loose):
        result = score_patient(data, default_terminology(), now=parse_time(now))
        entries += [{"fullUrl": b.full_url, "resource": b.resource} for b in result.resources()]
        issues += [
            Issue(i.severity, i.code, f"Patient/{result.patient}: {i.diagnostics}", i.resource,
                  i.expression)
            for i in result.issues
        ]  # fmt: skip
    outcome = operation_outcome([*loose, *issues])
    entries.append(
        {"fullUrl": "urn:uuid:00000000-0000-5000-8000-000000000000", "resource": outcome}
    )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def output_profiles(resource: dict) -> list[str]:
    """The project profile(s) an output resource must conform to (profiles/README.md)."""
    kind = resource["resourceType"]
    if kind == "Observation":
        code = resource["code"]["coding"][0]["code"]
        if code == "outcome-trajectory":  # contract §6: not a score, its own profile only
            return [f"{PROFILE}outcome-trajectory-observation"]
        return [f"{PROFILE}{code}-observation", f"{PROFILE}spinemets-score-observation"]
    if kind == "RiskAssessment":
        return [f"{PROFILE}spinemets-risk-assessment"]
    if kind == "Provenance":
        return [f"{PROFILE}spinemets-provenance"]
    return []


def validate(
    entries: Iterable[tuple[dict, list[str]]],
    workdir: Path,
    *,
    packages: Iterable[str] = (),
    igs: Iterable[Path] = (),
    own: bool = True,
) -> list[dict]:
    """Every resource through the HL7 validation engine, one file each, in one JVM.

    Returns the report's results in the order given: ``{"file", "profiles", "issues"}``.
    ``own``: load the repository's profiles/ and mappings/ folders (else ``igs`` hold them).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for n, (resource, profiles) in enumerate(entries):
        path = workdir / f"{n:05d}-{resource['resourceType']}.json"
        path.write_text(json.dumps(resource), encoding="utf-8")
        manifest.append({"file": str(path), "profiles": profiles})
    (workdir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    args = [str(ROOT / "scripts" / "validator"), "validate"]
    for package in packages:
        args += ["--package", package]
    if own:  # the repository's folders; False when a package of them is given in ``igs``
        args += ["--ig", str(ROOT / "profiles"), "--ig", str(ROOT / "mappings")]
    for ig in igs:
        args += ["--ig", str(ig)]
    args += ["--manifest", str(workdir / "manifest.json"), "--report", str(workdir / "report.json")]
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    assert len(report["results"]) == len(manifest)
    return list(report["results"])


def errors(result: dict) -> list[dict]:
    return [i for i in result["issues"] if i["severity"] in ("error", "fatal")]
