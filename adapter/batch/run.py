"""A batch run: the export's files → shards by patient → scored partitions → a manifest.

Both passes are lists of independent, idempotent tasks given to an engine (engines.py). The
driver holds only counts; the data goes through files under ``DIR/_work``, which every worker
must see (one machine, or a shared filesystem for a cluster). ``manifest.json`` is written last
and says the run is complete: it lists exactly the files this run wrote; result files an earlier
run left (another partition count) are removed.
"""

from __future__ import annotations

import fcntl
import functools
import math
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from adapter import __version__
from adapter.batch.engines import Engine
from adapter.batch.output import MANIFEST, remove_stale, replace_file
from adapter.batch.partition import ShardCounts, shard_chunk
from adapter.batch.results import Job, PartitionSummary, score_partition
from adapter.batch.source import export_files, split
from adapter.datadirs import private_dir, private_opener
from adapter.errors import ConfigurationError, InputError, OutputError
from adapter.fhir.read.timing import ClinicalTime
from adapter.pipeline import Scoring

__all__ = ["Options", "Summary", "chunk_size", "default_partitions", "run_batch"]

_PARTITION_BYTES = 16 << 20
_MIN_PARTITIONS = 16
_CHUNK_MIN, _CHUNK_MAX = 1 << 20, 32 << 20
WORK = "_work"


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    now: ClinicalTime
    scoring: Scoring = field(default_factory=Scoring)
    validate: bool = False
    partitions: int | None = None  # default: from the export's size (default_partitions)
    chunk_bytes: int | None = None  # default: chunk_size


@dataclass(slots=True)
class Summary:
    partitions: int
    chunks: int
    lines: int = 0
    kept: int = 0
    unassigned: int = 0
    shuffled: int = 0
    not_read: Counter[str] = field(default_factory=Counter)
    patients: int = 0
    issues: int = 0
    files: dict[str, int] = field(default_factory=dict)

    def resources(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for name, count in self.files.items():
            out[name.split(".")[0]] += count
        return out


def default_partitions(export_bytes: int) -> int:
    """One partition per 16 MiB of export, at least 16: the same for every engine, so the files
    do not depend on where the run happens; many more tasks than workers balance the load."""
    return max(_MIN_PARTITIONS, math.ceil(export_bytes / _PARTITION_BYTES))


def chunk_size(export_bytes: int, partitions: int) -> int:
    """About as many chunks as partitions, so both passes spread over as many workers; each
    between 1 MiB (fewer, larger reads) and 32 MiB (a first-pass task holds its chunk's lines)."""
    return min(_CHUNK_MAX, max(_CHUNK_MIN, math.ceil(export_bytes / partitions)))


@contextmanager
def _locked(output: Path) -> Iterator[None]:
    """One run at a time in a directory (a second one would delete the first one's work)."""
    try:
        private_dir(output)
        # Closed by the ``with handle`` below, once the lock is taken or refused.
        handle = open(output / ".spinemets-batch.lock", "w", opener=private_opener)  # noqa: SIM115
    except OSError as exc:
        raise OutputError(f"cannot write {output} ({exc.strerror})") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ConfigurationError(f"another batch run is writing {output}") from None
        yield


def _manifest(summary: Summary, now: ClinicalTime) -> bytes:
    """Shaped like a Bulk Data manifest, with file names relative to the directory."""

    def entries(errors: bool) -> list[dict[str, object]]:
        return [
            {"type": name.split(".")[0], "url": name, "count": count}
            for name, count in sorted(summary.files.items())
            if (name.split(".")[0] == "OperationOutcome") == errors
        ]

    manifest = {
        "transactionTime": now.text,
        "requiresAccessToken": False,
        "output": entries(errors=False),
        "error": entries(errors=True),
        "extension": {
            "software": f"spinemets {__version__}",
            "partitions": summary.partitions,
            "patients": summary.patients,
        },
    }
    return orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"


def _add_counts(summary: Summary, counts: ShardCounts) -> None:
    summary.lines += counts.lines
    summary.kept += counts.kept
    summary.unassigned += counts.unassigned
    summary.shuffled += counts.shuffled
    summary.not_read.update(counts.not_read)


def _add_partition(summary: Summary, done: PartitionSummary) -> None:
    summary.patients += done.patients
    summary.issues += done.issues
    summary.files.update(done.files)


def run_batch(source: Path, output: Path, *, engine: Engine, options: Options) -> Summary:
    """Score every patient of the export in ``source`` into ``output``."""
    files = export_files(source)
    if output.resolve() == source.resolve():
        raise InputError("--output must be another directory than the export")
    size = sum(f.size for f in files)
    partitions = options.partitions or default_partitions(size)
    chunks = split(files, options.chunk_bytes or chunk_size(size, partitions))
    summary = Summary(partitions, len(chunks))
    with _locked(output):
        work = output / WORK
        (output / MANIFEST).unlink(missing_ok=True)  # not complete until written again
        shutil.rmtree(work, ignore_errors=True)
        shard = functools.partial(shard_chunk, work=work, partitions=partitions)
        for counts in engine.map(shard, chunks, stage="shard"):
            _add_counts(summary, counts)
        job = Job(
            output=output,
            work=work,
            chunks=len(chunks),
            partitions=partitions,
            now=options.now,
            scoring=options.scoring,
            validate=options.validate,
        )
        # The extra last partition holds the resources with no patient, when there are some.
        indexes = list(range(partitions + (summary.unassigned > 0)))
        for done in engine.map(functools.partial(score_partition, job), indexes, stage="score"):
            _add_partition(summary, done)
        remove_stale(output, summary.files)
        replace_file(output / MANIFEST, _manifest(summary, options.now))
        shutil.rmtree(work, ignore_errors=True)
    return summary
