"""A Bulk Data export on disk: its NDJSON files, the resource type each holds, and the byte
ranges the first pass reads in parallel."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from adapter.errors import InputError

__all__ = ["Chunk", "ExportFile", "chunk_lines", "export_files", "line_number", "split"]

# Bulk Data servers and clients name a file after its type: Patient.ndjson, Observation.2.ndjson,
# Observation-003.ndjson, 1.Patient.ndjson (the SMART client): the first capitalised part.
_PART = re.compile(r"[A-Z][A-Za-z]+")
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class ExportFile:
    path: Path
    resource_type: str | None  # from the file name; each line's own resourceType decides
    size: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """Lines of one file whose first byte lies in ``[start, end)``."""

    index: int
    path: str
    start: int
    end: int

    @property
    def name(self) -> str:
        return Path(self.path).name


def _type_of(name: str) -> str | None:
    stem = name.removesuffix(".ndjson")
    return next((p for p in re.split(r"[._-]", stem) if _PART.fullmatch(p)), None)


def export_files(directory: Path) -> list[ExportFile]:
    """The NDJSON files of an export directory, by name; InputError when it is not one."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    paths = sorted(p for p in directory.iterdir() if p.name.endswith(".ndjson") and p.is_file())
    if not paths:
        raise InputError(f"{directory} holds no NDJSON file (*.ndjson)")
    files = [ExportFile(p, _type_of(p.name), p.stat().st_size) for p in paths]
    if not any(f.resource_type == "Patient" for f in files):
        raise InputError(f"{directory} holds no Patient file (Patient.ndjson or the like)")
    return files


def split(files: Sequence[ExportFile], chunk_bytes: int) -> list[Chunk]:
    """Byte ranges of at most ``chunk_bytes`` over every file, in file order."""
    chunks: list[Chunk] = []
    for file in files:
        start = 0
        while start < file.size:
            end = min(start + chunk_bytes, file.size)
            chunks.append(Chunk(len(chunks), str(file.path), start, end))
            start = end
    return chunks


def chunk_lines(chunk: Chunk, limit: int = 2**62) -> Iterator[tuple[int, bytes | None]]:
    """(byte offset, line) of every line that starts inside the chunk; None for a line over
    ``limit`` bytes, which is skipped without being held.

    A line belongs to the chunk holding its first byte, so neighbouring chunks never share or
    split one.
    """
    with Path(chunk.path).open("rb") as handle:
        pos = chunk.start
        if pos > 0:
            handle.seek(pos - 1)
            pos += _skip_line(handle, limit) - 1  # the rest of a line begun in the last chunk
        while pos < chunk.end:
            line = handle.readline(limit + 1)
            if not line:
                break
            if len(line) > limit and not line.endswith(b"\n"):
                yield pos, None
                pos += len(line) + _skip_line(handle, limit)
                continue
            yield pos, line
            pos += len(line)


def _skip_line(handle: IO[bytes], limit: int) -> int:
    """Read to the end of the current line, a limit's worth at a time; the bytes skipped."""
    skipped = 0
    while True:
        part = handle.readline(limit)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def line_number(path: str, offset: int) -> int:
    """The 1-based number of the line starting at ``offset`` (for error messages only)."""
    count = 0
    with Path(path).open("rb") as handle:
        while offset > 0:
            block = handle.read(min(_BLOCK, offset))
            if not block:
                break
            count += block.count(b"\n")
            offset -= len(block)
    return count + 1
