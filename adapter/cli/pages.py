"""``spinemets score --format html``: one self-contained page per patient."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from adapter.cli.output import NO_PATIENT
from adapter.datadirs import private_opener
from adapter.decision import Decisions
from adapter.errors import InputError, OutputPathError
from adapter.render.patient import patient_page

__all__ = ["write_pages"]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in name) or "patient"


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


def write_pages(decided: Iterable[Decisions], output: str | None, *, out: Writable) -> int:
    """The page on standard output (one patient), to a file, or one file each into a directory."""
    target = Path(output) if output else None
    pages = [(d.result.patient, patient_page(d)) for d in decided]
    if not pages:
        raise InputError(NO_PATIENT)
    if target is not None and target.is_dir():
        for patient, html in pages:
            _write(target / f"{_safe(patient)}.html", html)
        return 0
    if len(pages) > 1:
        raise InputError(f"{len(pages)} patients: give --output DIRECTORY for one page each")
    html = pages[0][1]
    if target is None:
        out.write(html.encode())
        return 0
    _write(target, html)
    return 0


def _write(path: Path, html: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", opener=private_opener) as out:
            out.write(html)
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {exc.strerror}") from None
