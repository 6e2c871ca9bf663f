"""Plots as inline SVG, written directly (no plotting library: the page stays in the core install).

Text stays text (searchable, scalable, read by a screen reader as the figure's label); the
drawing scales to its container (``viewBox``, no fixed size), so it fits a 390 px screen; the same
data gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Series", "km_svg", "series_svg"]

_COLOURS = ("#0b5cad", "#b3261e", "#1e7a3c", "#6a3d9a")
_GRID = "#dddddd"
_LEFT, _RIGHT, _TOP, _BOTTOM = 56.0, 12.0, 12.0, 40.0


@dataclass(frozen=True, slots=True)
class Series:
    """One line: x positions, y values (None = no value there), optional ± error, a label."""

    label: str
    x: Sequence[float]
    y: Sequence[float | None]
    error: Sequence[float | None] | None = None


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plotting area of a drawing ``width`` × ``height`` and its data ranges."""

    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def x(self, value: float) -> float:
        low, high = self.x_range
        span = (high - low) or 1.0
        return round(_LEFT + (value - low) / span * (self.width - _LEFT - _RIGHT), 1)

    def y(self, value: float) -> float:
        low, high = self.y_range
        span = (high - low) or 1.0
        return round(self.height - _BOTTOM - (value - low) / span * self._tall, 1)

    @property
    def _tall(self) -> float:
        return self.height - _TOP - _BOTTOM


def _num(value: float) -> str:
    return f"{value:g}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) within low–high."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    return [round(first + i * step, 6) for i in range(int((high - first) / step + 1e-9) + 1)]


def _axes(frame: _Frame, x_ticks: Sequence[tuple[float, str]], x_label: str, y_label: str) -> str:
    parts = []
    bottom, left = frame.height - _BOTTOM, _LEFT
    for value in _ticks(*frame.y_range):
        y = frame.y(value)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{frame.width - _RIGHT}" y2="{y}" stroke="{_GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{_num(value)}</text>'
        )
    for value, text in x_ticks:
        x = frame.x(value)
        parts.append(
            f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" stroke="#333333"/>'
            f'<text x="{x}" y="{bottom + 16}" text-anchor="middle">{escape(text)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{bottom}" x2="{frame.width - _RIGHT}" y2="{bottom}" '
        f'stroke="#333333"/><line x1="{left}" y1="{_TOP}" x2="{left}" y2="{bottom}" '
        f'stroke="#333333"/>'
    )
    if x_label:
        parts.append(
            f'<text x="{(left + frame.width - _RIGHT) / 2}" y="{frame.height - 4}" '
            f'text-anchor="middle">{escape(x_label)}</text>'
        )
    middle = (_TOP + bottom) / 2
    parts.append(
        f'<text transform="translate(14 {middle}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    return "".join(parts)


def _svg(frame: _Frame, label: str, body: str) -> str:
    size = f"{_num(frame.width)} {_num(frame.height)}"
    return (
        f'<svg role="img" aria-label="{escape(label)}" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">{body}</svg>'
    )


def _legend(frame: _Frame, names: Sequence[tuple[str, str]]) -> str:
    parts = []
    for i, (name, colour) in enumerate(names):
        y = _TOP + 10 + i * 14
        x = frame.width - _RIGHT - 130
        parts.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 16}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"/><text x="{x + 20}" y="{y}">{escape(name)}</text>'
        )
    return "".join(parts)


def km_svg(
    curve: Sequence[tuple[float, float]],
    censored: Sequence[tuple[float, float]],
    *,
    label: str,
    last: float,
) -> str:
    """A Kaplan–Meier step curve from 1.0 at 0, censoring marks, the 0.5 line for the median."""
    end = max(last, curve[-1][0] if curve else 0.0) or 1.0
    frame = _Frame(640.0, 340.0, (0.0, end * 1.02), (0.0, 1.05))
    path = [f"M{frame.x(0.0)},{frame.y(1.0)}"]
    path += [f"H{frame.x(t)}V{frame.y(s)}" for t, s in curve]  # a step down at each death
    path.append(f"H{frame.x(end)}")
    colour = _COLOURS[0]
    marks = "".join(
        f'<line x1="{frame.x(t)}" y1="{frame.y(s) - 5}" x2="{frame.x(t)}" y2="{frame.y(s) + 5}" '
        f'stroke="{colour}" stroke-width="1.5"/>'
        for t, s in censored
    )
    half = frame.y(0.5)
    median = (
        f'<line x1="{_LEFT}" y1="{half}" x2="{frame.width - _RIGHT}" y2="{half}" '
        f'stroke="#666666" stroke-dasharray="2 3"/>'
    )
    x_ticks = [(v, _num(round(v, 1))) for v in _ticks(0.0, end)]
    body = (
        _axes(frame, x_ticks, "Months from the index procedure", "Proportion alive")
        + median
        + f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>'
        + marks
        + _legend(frame, [("Survival", colour)] + ([("Censored", colour)] if censored else []))
    )
    return _svg(frame, label, body)


def _line(frame: _Frame, series: Series, colour: str) -> str:
    points = [(x, y) for x, y in zip(series.x, series.y, strict=True) if y is not None]
    if not points:
        return ""
    errors = dict(zip(series.x, series.error or [None] * len(series.x), strict=True))
    parts = [
        f'<polyline points="{" ".join(f"{frame.x(x)},{frame.y(y)}" for x, y in points)}" '
        f'fill="none" stroke="{colour}" stroke-width="2"/>'
    ]
    for x, y in points:
        error = errors.get(x)
        if error:
            low, high = frame.y(y - error), frame.y(y + error)
            px = frame.x(x)
            parts.append(
                f'<path d="M{px},{low}V{high}M{px - 4},{low}H{px + 4}M{px - 4},{high}H{px + 4}" '
                f'stroke="{colour}" fill="none"/>'
            )
        parts.append(f'<circle cx="{frame.x(x)}" cy="{frame.y(y)}" r="3.5" fill="{colour}"/>')
    return "".join(parts)


def series_svg(
    series: Sequence[Series],
    *,
    label: str,
    ticks: Sequence[str],
    y_label: str,
    y_range: tuple[float, float],
) -> str:
    """Lines over the time points (mean ± SD, or one patient's values)."""
    frame = _Frame(520.0, 300.0, (-0.3, len(ticks) - 0.7), y_range)
    colours = [_COLOURS[i % len(_COLOURS)] for i in range(len(series))]
    body = _axes(frame, list(enumerate(ticks)), "", y_label)
    body += "".join(_line(frame, s, c) for s, c in zip(series, colours, strict=True))
    if len(series) > 1:
        body += _legend(frame, [(s.label, c) for s, c in zip(series, colours, strict=True)])
    return _svg(frame, label, body)
