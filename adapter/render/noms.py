"""The NOMS framework's paths (contract §1 v3) as the text report and the page show them: per
scored level, the path or paths the framework gives, each with its sources, and how the four
inputs were read. Worded as the framework's path, never as an order."""

from __future__ import annotations

from html import escape

from adapter.decision.noms import NomsLevel, NomsView
from adapter.decision.wording import readable_dates
from adapter.render.html import table

__all__ = ["noms_context", "noms_section", "noms_text"]


def _paths(level: NomsLevel) -> list[str]:
    return [path.cited for path in level.result.paths]


def _open(level: NomsLevel) -> str:
    if level.result.settled:
        return ""
    opened = ", ".join(level.result.open)
    return f"not settled — open: {opened}" if opened else "several paths"


def noms_text(view: NomsView | None) -> list[str]:
    """The report's lines, indented as its score sections are."""
    if view is None:
        return []
    lines = [f"  {view.title}: {view.wording}"]
    for level in view.levels:
        paths = _paths(level)
        if level.result.settled:
            lines.append(f"    {level.level}: {paths[0]}")
        else:
            lines.append(f"    {level.level}: one of these paths ({_open(level)})")
            lines += [f"      - {path}" for path in paths]
        lines += [f"{'':8}{readable_dates(reading)}" for reading in level.readings]
    lines.append("    Sources: " + "; ".join(view.sources))
    return lines


def noms_section(view: NomsView | None) -> str:
    """The page's section: one row per level."""
    if view is None:
        return ""
    rows = []
    for level in view.levels:
        paths = "".join(f"<li>{escape(p)}</li>" for p in _paths(level))
        note = f'<p class="muted">{escape(_open(level))}</p>' if _open(level) else ""
        readings = "".join(f"<li>{escape(readable_dates(r))}</li>" for r in level.readings)
        rows.append(
            (
                escape(level.level),
                f'<td data-noms="{escape(level.level)}"><ul>{paths}</ul>{note}</td>',
                f'<ul class="sources">{readings}</ul>',
            )
        )
    sources = "".join(f"<li>{escape(s)}</li>" for s in view.sources)
    return (
        f'<section class="score" id="noms"><h2>{escape(view.title)}</h2>'
        f"<p>{escape(view.wording)}</p>"
        + table(("Level", "The framework's path", "How the inputs were read"), rows)
        + f'<h3>Sources</h3><ul class="sources">{sources}</ul></section>'
    )


def noms_context(view: NomsView | None, level: str) -> str | None:
    """One line for the procedure-check card at an ordered level: the framework's path(s) there,
    as context for the decision, never a criterion or an order."""
    found = view.at(level) if view is not None else None
    if view is None or found is None:
        return None
    paths = " / ".join(_paths(found))
    open_inputs = f" ({_open(found)})" if not found.result.settled else ""
    return f"{view.title} at {level}, the framework's path{open_inputs}: {paths}."
