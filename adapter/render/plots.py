"""Plots as inline SVG, drawn with matplotlib (its object API and the SVG backend, no pyplot).

Text stays text in the SVG (``svg.fonttype: none``), so it is searchable, scales and reads in a
screen reader's outline; the ids matplotlib generates are salted with a fixed value and the date
is left out, so the same data gives the same bytes. matplotlib is imported on first use only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["Series", "km_svg", "series_svg"]

_COLOURS = ("#0b5cad", "#b3261e", "#1e7a3c", "#6a3d9a")


@dataclass(frozen=True, slots=True)
class Series:
    """One line: x positions, y values (None = no value there), optional ± error, a label."""

    label: str
    x: Sequence[float]
    y: Sequence[float | None]
    error: Sequence[float | None] | None = None


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.use("svg", force=False)  # no display needed: never pick an interactive backend
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "spinemets",
            "font.size": 10,
            "font.family": "DejaVu Sans",
        }
    )
    return Figure(figsize=(width, height), layout="constrained")


def _svg(figure: Any, label: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline in HTML
    text = re.sub(r'width="[\d.]+pt" height="[\d.]+pt"', "", text, count=1)
    return text.replace(
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1
    )


def km_svg(
    curve: Sequence[tuple[float, float]],
    censored: Sequence[tuple[float, float]],
    *,
    label: str,
    last: float,
) -> str:
    """A Kaplan–Meier step curve from 1.0 at 0, censoring marks, the 0.5 line for the median."""
    fig = _figure(6.4, 3.4)
    ax = fig.add_subplot()
    xs = [0.0] + [t for t, _ in curve] + [max(last, curve[-1][0] if curve else 0.0)]
    ys = [1.0] + [s for _, s in curve] + [curve[-1][1] if curve else 1.0]
    ax.step(xs, ys, where="post", color=_COLOURS[0], linewidth=2, label="Survival")
    if censored:
        ax.plot(
            [t for t, _ in censored],
            [s for _, s in censored],
            linestyle="none",
            marker="|",
            markersize=9,
            color=_COLOURS[0],
            label="Censored",
        )
    ax.axhline(0.5, color="#666666", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, max(xs) * 1.02 or 1)
    ax.set_xlabel("Months from the index procedure")
    ax.set_ylabel("Proportion alive")
    ax.legend(loc="lower left", frameon=False)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    return _svg(fig, label)


def series_svg(
    series: Sequence[Series],
    *,
    label: str,
    ticks: Sequence[str],
    y_label: str,
    y_range: tuple[float, float],
) -> str:
    """Lines over the time points (mean ± SD, or one patient's values)."""
    fig = _figure(5.2, 3.0)
    ax = fig.add_subplot()
    for i, s in enumerate(series):
        points = [(x, y) for x, y in zip(s.x, s.y, strict=True) if y is not None]
        if not points:
            continue
        errs = None
        if s.error is not None:
            errs = [e or 0.0 for x, e in zip(s.x, s.error, strict=True) if x in dict(points)]
        ax.errorbar(
            [x for x, _ in points],
            [y for _, y in points],
            yerr=errs,
            marker="o",
            capsize=4,
            color=_COLOURS[i % len(_COLOURS)],
            linewidth=2,
            label=s.label,
        )
    ax.set_xticks(range(len(ticks)), list(ticks))
    ax.set_xlim(-0.3, len(ticks) - 0.7)
    ax.set_ylim(*y_range)
    ax.set_ylabel(y_label)
    ax.grid(True, axis="y", color="#dddddd", linewidth=0.6)
    if len(series) > 1:
        ax.legend(frameon=False)
    return _svg(fig, label)
