"""A seeded Synthea corpus of patients with spinal metastases, generated once and cached.

    scripts/synthea-corpus N SEED [--force]

prints the corpus directory (``$SPINEMETS_CACHE`` or ``~/.cache/spinemets``, then
``synthea/<key>-n<N>-s<SEED>``). The key hashes everything that shapes the output (the module,
the post-processing code, Synthea's version and arguments), so a change makes a new corpus and
an unchanged one is reused. The same N and SEED give the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from synthea import module as gmf_module
from synthea import outputs, postprocess
from synthea.outputs import CorpusWriter

__all__ = ["cache_root", "generate", "main"]

ROOT = Path(__file__).resolve().parents[1]
POM = ROOT / "synthea" / "pom.xml"
SYNTHEA_VERSION = "3.3.0"
END_DATE = "20250101"  # the simulation's reference and end date: the corpus is "as of" then
# Exported resources spinemets never reads and that only make the corpus heavy (claims, and
# the base64 clinical notes Synthea attaches to every encounter).
EXCLUDED = "Claim,ExplanationOfBenefit,DocumentReference,DiagnosticReport"
JAVA_OPTS = "-Xmx2g"


def synthea_args(n: int, seed: int, modules: Path, out: Path) -> list[str]:
    """Synthea's arguments: N patients (alive or dead, -o false), ages 45-85, our module only."""
    return [
        "-s",
        str(seed),
        "-cs",
        str(seed),
        "-p",
        str(n),
        "-o",
        "false",
        "-a",
        "45-85",
        "-r",
        END_DATE,
        "-e",
        END_DATE,
        "-d",
        str(modules),
        "-m",
        f"{gmf_module.MODULE_NAME}*",
        "--exporter.years_of_history=0",
        f"--exporter.fhir.excluded_resources={EXCLUDED}",
        "--exporter.pretty_print=false",
        "--exporter.metadata.export=false",
        f"--exporter.baseDirectory={out}",
    ]


def cache_root() -> Path:
    base = os.environ.get("SPINEMETS_CACHE")
    if base:
        return Path(base) / "synthea"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "spinemets" / "synthea"


def corpus_key(module: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(gmf_module.module_digest(module).encode())
    for source in (postprocess, outputs):
        digest.update(Path(str(source.__file__)).read_bytes())
    digest.update(json.dumps([SYNTHEA_VERSION, synthea_args(0, 0, Path(), Path())]).encode())
    return digest.hexdigest()[:12]


def classpath(cache: Path) -> str:
    """Synthea's classpath from ~/.m2, resolved by Maven once per pom."""
    key = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    saved = cache / f"classpath-{key}.txt"
    if saved.exists():
        jars = saved.read_text().strip()
        if all(Path(j).exists() for j in jars.split(os.pathsep)):
            return jars
    print("synthea: resolving Synthea with Maven (first time: ~200 MB)", file=sys.stderr)
    partial = saved.with_suffix(".partial")
    _run(
        [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(POM),
            "dependency:build-classpath",
            f"-Dmdep.outputFile={partial}",
            "-Dmdep.includeScope=runtime",
        ],
        "Maven",
    )
    partial.replace(saved)
    return saved.read_text().strip()


def _run(cmd: list[str], what: str, log: Path | None = None) -> None:
    try:
        with log.open("w") if log else open(os.devnull, "w") as sink:
            done = subprocess.run(cmd, stdout=sink, stderr=subprocess.STDOUT, check=False)  # noqa: S603 - our own argv, no shell
    except FileNotFoundError:
        raise SystemExit(f"synthea: {cmd[0]} is not on PATH (needs Java 17 and Maven)") from None
    if done.returncode != 0:
        tail = log.read_text().splitlines()[-15:] if log else []
        raise SystemExit("\n".join([f"synthea: {what} failed (exit {done.returncode})", *tail]))


def generate(n: int, seed: int, *, force: bool = False) -> Path:
    """The corpus directory for (n, seed), generating it if it is not cached."""
    module = gmf_module.build_module()
    cache = cache_root()
    target = cache / f"{corpus_key(module)}-n{n}-s{seed}"
    if (target / "manifest.json").exists() and not force:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    jars = classpath(cache)
    with tempfile.TemporaryDirectory(dir=cache, prefix="work-") as tmp:
        work = Path(tmp)
        modules, raw, corpus = work / "modules", work / "raw", work / "corpus"
        for path in (modules, corpus):
            path.mkdir()
        (modules / f"{gmf_module.MODULE_NAME}.json").write_text(json.dumps(module))
        started = time.monotonic()
        java = ["java", *os.environ.get("SYNTHEA_JAVA_OPTS", JAVA_OPTS).split(), "-cp", jars]
        _run([*java, "App", *synthea_args(n, seed, modules, raw)], "Synthea", work / "synthea.log")
        simulated = time.monotonic() - started
        _post_process(
            raw / "fhir",
            corpus,
            {
                "synthea": SYNTHEA_VERSION,
                "module": gmf_module.MODULE_NAME,
                "n": n,
                "seed": seed,
                "end_date": END_DATE,
                "arguments": synthea_args(n, seed, Path("MODULES"), Path("OUT")),
            },
        )
        print(
            f"synthea: {n} patients in {time.monotonic() - started:.0f} s "
            f"(Synthea {simulated:.0f} s)",
            file=sys.stderr,
        )
        if target.exists():
            shutil.rmtree(target)
        corpus.replace(target)
    return target


def _post_process(raw: Path, corpus: Path, made: dict[str, Any]) -> None:
    shared = []
    for name in ("hospitalInformation", "practitionerInformation"):
        for path in sorted(raw.glob(f"{name}*.json")):
            shared += [e["resource"] for e in json.loads(path.read_text())["entry"]]
    writer = CorpusWriter(corpus, shared)
    patients = sorted(
        (p for p in raw.glob("*.json") if not p.name.startswith(("hospital", "practitioner"))),
        key=lambda p: p.name.rsplit("_", 1)[-1],  # by patient id: stable across runs
    )
    for path in patients:
        writer.add(postprocess.process_bundle(json.loads(path.read_text())))
    writer.close(made)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synthea-corpus", description=__doc__.split("\n")[0])
    parser.add_argument("patients", type=int, help="how many patients (alive or dead)")
    parser.add_argument("seed", type=int, help="Synthea's population and clinician seed")
    parser.add_argument("--force", action="store_true", help="generate even if cached")
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error("the number of patients must be at least 1")
    print(generate(args.patients, args.seed, force=args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
