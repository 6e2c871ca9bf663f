"""The page shell shared by the patient page and the cohort report: one self-contained file.

No external resource of any kind (no CDN, font or script): the CSS is inline, the plots are inline
SVG. The layout is one column that reads on a phone, tables scroll sideways inside their own box,
and a print stylesheet drops the colours' backgrounds to outlines and keeps figures whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

__all__ = ["fmt", "page", "table"]

CSS = """
:root { --ink: #1b1f24; --muted: #4a525c; --line: #c9ced6; --band-stable: #d7f0dc;
  --band-potential: #fff1c2; --band-unstable: #f9d2d0; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem;
  border-bottom: 1px solid var(--line); } h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
p.meta, .muted { color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .5rem 0; min-width: 50%; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left;
  vertical-align: top; }
th { background: #eef1f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .75rem 0; break-inside: avoid; } figcaption { color: var(--muted); }
figure svg { max-width: 100%; height: auto; }
.band { padding: .05rem .4rem; border-radius: .3rem; border: 1px solid var(--line); }
.band-sins-stable { background: var(--band-stable); }
.band-sins-potentially-unstable { background: var(--band-potential); }
.band-sins-unstable { background: var(--band-unstable); }
.score { border: 1px solid var(--line); border-radius: .4rem; padding: .25rem .9rem .6rem;
  margin: .75rem 0; break-inside: avoid; }
.layout { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.layout > * { flex: 1 1 18rem; }
ul.sources { margin: 0; padding-left: 1.1rem; font-size: .9rem; }
.decision { border: 2px solid var(--line); border-left-width: .6rem; border-radius: .4rem;
  padding: .25rem .9rem .6rem; margin: .75rem 0; break-inside: avoid; }
.decision h2 { border: 0; margin-top: .5rem; }
.decision-critical { border-color: #b3261e; } .decision-warning { border-color: #b26a00; }
.decision-deceased { border-color: var(--muted); }
.verdict { font-weight: 600; text-transform: uppercase; font-size: .85rem; }
dl.who { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem;
  margin: .25rem 0 .75rem; } dl.who dd { margin: 0; overflow-wrap: anywhere; }
a { color: var(--accent); }
@media print { body { max-width: none; padding: 0; font-size: 11pt; }
  .band, th { background: none !important; } .scroll { overflow: visible; }
  h2 { break-after: avoid; } }
"""


def fmt(value: float | int | None, decimals: int = 2) -> str:
    """A number as the page shows it: two decimals, or a dash when there is none."""
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{decimals}f}"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    caption: str | None = None,
    row_headers: bool = True,
    label: str | None = None,
) -> str:
    """An HTML table of already-escaped cells (a cell may carry its own ``<td …>``); ``label``
    names its region when the page has several tables with the same headers."""
    # A region that may scroll sideways on a phone must be reachable by keyboard, and named
    # (uniquely: two regions of one name are one landmark too many for a screen reader).
    name = label or caption or "Table: " + ", ".join(h for h in headers if h)
    out = [f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(name)}"><table>']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>")
    out += [f'<th scope="col">{escape(h)}</th>' for h in headers]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if cell.startswith("<td") or cell.startswith("<th"):
                cells.append(cell)
            elif i == 0 and row_headers:
                cells.append(f'<th scope="row">{cell}</th>')
            else:
                cells.append(f"<td>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def page(title: str, body: str, *, subtitle: str | None = None, css: str = "") -> str:
    """A complete HTML5 document, self-contained (``css``: rules added to the shared ones)."""
    sub = f'<p class="meta">{escape(subtitle)}</p>' if subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{css}</style></head>"
        f"<body><header><h1>{escape(title)}</h1>{sub}</header><main>{body}</main>"
        '<footer><p class="muted">Generated by spinemets. Decision support, not a decision: '
        "check every input against the record.</p></footer></body></html>\n"
    )
