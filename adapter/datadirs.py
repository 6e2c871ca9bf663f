"""Where the project's data directories (mappings/, profiles/) are found at run time, where the
service keeps its state (databases), and how every file spinemets creates is made private.

Every file spinemets creates (stores, caches, leases, the audit trail, batch outputs) is mode
0600 and every directory it creates 0700, whatever the umask (which can only make them
stricter). A directory that exists already is left as its owner made it; a store file of ours
that exists already is tightened to 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from pathlib import Path

from adapter.errors import MappingError, StorageError
from adapter.settings import from_mapping, variable
from adapter.settings.clinical import DataFields

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "append_private",
    "audit_file",
    "data_dir",
    "private_dir",
    "private_file",
    "private_opener",
    "state_directory",
]

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def data_dir(name: str) -> Path:
    """``$SPINEMETS_<NAME>``, else the repository's ``<name>/``, else the copy in the wheel."""
    configured = getattr(from_mapping(DataFields, os.environ), name)
    if configured is not None:
        return Path(configured)
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / name, package / f"_{name}"):
        if candidate.is_dir():
            return candidate
    raise MappingError(f"no {name}/ directory found (set {variable(name)})")


def state_directory() -> Path:
    """The platform's state directory for spinemets: ``$XDG_STATE_HOME`` or ~/.local/state.

    Never the working directory: a service started from any directory keeps its state in one
    place.
    """
    xdg = os.environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "spinemets"
    return Path.home() / ".local" / "state" / "spinemets"


def private_dir(path: Path) -> Path:
    """``path``, its missing directories (parents too) created 0700; OSError if it cannot be."""
    missing = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=PRIVATE_DIR)
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open`: a file it creates is 0600."""
    return os.open(path, flags, PRIVATE_FILE)


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists, 0600, in a private directory, before a library (SQLite) opens
    it: SQLite gives its ``-wal`` and ``-shm`` files the database file's mode. A file that
    exists with more open bits (made by an older version) is tightened when it is ours."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
        if mode & 0o077:
            with contextlib.suppress(PermissionError):  # not ours: its owner decides
                os.fchmod(descriptor, mode & ~0o077)
    finally:
        os.close(descriptor)
    return path


def audit_file(configured: Path | None, state_dir: Path | None) -> Path:
    """The audit trail (``SPINEMETS_AUDIT_FILE``), else ``audit.ndjson`` in the state directory
    (``SPINEMETS_STATE_DIR``, else the platform's)."""
    return configured or (state_dir or state_directory()) / "audit.ndjson"


def append_private(path: Path, line: bytes) -> None:
    """Append one line to ``path`` (made 0600 in a private directory if new), whole: written
    under an exclusive lock, so the lines of several processes never interleave, and cut back
    to where it began when the disk takes only part of it (a later line never joins a torn one;
    one torn by a crash is ended first). An empty ``line`` appends nothing: it proves the file
    writable."""
    if b"\n" in line:
        raise ValueError("one line at a time")
    private_dir(path.parent)
    readable = True
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    except PermissionError:  # a trail set up write-only: appended to, never read back
        readable = False
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        if not line:
            return
        size = os.fstat(descriptor).st_size
        data = line + b"\n"
        if readable and size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data  # a line torn by a process killed mid-write stays its own
        try:
            while data:
                data = data[os.write(descriptor, data) :]
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, size)
            raise
    finally:
        os.close(descriptor)  # releases the lock


# What /readyz counts as a store that cannot take writes: its last write failed this recently
# (a full disk, a quota, an I/O error: every call would be refused), or its disk has less room
# than LOW_SPACE. Once the window passes the store is tried again by the next call.
FAILED_RECENTLY = 30.0  # seconds
LOW_SPACE = 1 << 20  # bytes


class WriteHealth:
    """Whether a store's writes are known to fail, for ``/readyz``: an empty append or a read
    proves nothing about room for the next event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failed_at: float | None = None

    def failed(self) -> None:
        self.failed_at = time.monotonic()

    def succeeded(self) -> None:
        self.failed_at = None

    def check(self, store: str) -> None:
        """StorageError, one line naming ``store``, when its writes are known to fail."""
        failed_at = self.failed_at
        if failed_at is not None and time.monotonic() - failed_at < FAILED_RECENTLY:
            raise StorageError(f"{store}: its last write failed")
        try:
            stats = os.statvfs(self.path.parent)
        except OSError as exc:
            raise StorageError(f"{store}: {exc.strerror or exc}") from None
        if stats.f_bavail * stats.f_frsize < LOW_SPACE:
            raise StorageError(f"{store}: less than {LOW_SPACE >> 20} MiB left on its disk")
