"""Where the project's data directories (mappings/, profiles/) are found at run time, and where
the service keeps its state (databases)."""

from __future__ import annotations

import os
from pathlib import Path

from adapter.errors import MappingError

__all__ = ["data_dir", "state_directory"]


def data_dir(name: str) -> Path:
    """``$SPINEMETS_<NAME>``, else the repository's ``<name>/``, else the copy in the wheel."""
    variable = f"SPINEMETS_{name.upper()}"
    configured = os.environ.get(variable)
    if configured:
        return Path(configured)
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / name, package / f"_{name}"):
        if candidate.is_dir():
            return candidate
    raise MappingError(f"no {name}/ directory found (set {variable})")


def state_directory() -> Path:
    """The platform's state directory for spinemets: ``$XDG_STATE_HOME`` or ~/.local/state.

    Never the working directory: a service started from any directory keeps its state in one
    place.
    """
    xdg = os.environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "spinemets"
    return Path.home() / ".local" / "state" / "spinemets"
