"""The optional parts of spinemets and the extras that install them (pyproject.toml).

``pip install spinemets`` scores, serves, syncs and draws the patient page; the cohort report's
statistics, a Dask cluster and Redis come with an extra. A command that needs one it lacks stops
with exit 2 and one line naming it, before doing any work.
"""

from __future__ import annotations

import importlib.util

from adapter.errors import ConfigurationError

__all__ = ["EXTRAS", "MissingExtraError", "require"]

# extra → the modules it provides
EXTRAS: dict[str, tuple[str, ...]] = {
    "cohort": ("scipy", "statsmodels", "pandas"),
    "batch": ("dask", "distributed"),
    "redis": ("redis",),
}


class MissingExtraError(ConfigurationError):
    """An optional part is needed and not installed."""


def require(extra: str, what: str) -> None:
    """Stop unless ``extra``'s modules are importable; ``what`` names what needs them."""
    if any(importlib.util.find_spec(module) is None for module in EXTRAS[extra]):
        raise MissingExtraError(
            f"{what} needs the '{extra}' extra: pip install 'spinemets[{extra}]'"
        )
