"""The spine as an inline SVG: each scored level drawn in its SINS band's colour, with its total.

A plain drawing (no library): one rounded box per level of the whole spine, C1 to S5 (the sacral
segments narrowing as the sacrum does). The band is written out beside the box as well, so the
figure never relies on colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from adapter.vocabulary import SINS

__all__ = ["BAND_COLOURS", "FIXED", "NOT_ASSESSED", "spine_svg"]

# One colour per SINS band, from stable to unstable: the band codes are the vocabulary's.
_COLOURS = ("#8fd19e", "#ffd45c", "#ef8a84")
BAND_COLOURS: dict[str | None, str] = {
    **{band.code: colour for band, colour in zip(SINS.bands, _COLOURS, strict=True)},
    None: "#c7b8e6",  # a range that spans bands
}
# The words are the vocabulary's (one place); only the colours are the drawing's own.
BAND_WORDS: dict[str | None, str] = {
    **{band.code: band.short_label for band in SINS.bands},
    None: "band not settled",
}
_DRAWN = (*(f"C{n}" for n in range(1, 8)), *(f"T{n}" for n in range(1, 13)),
          *(f"L{n}" for n in range(1, 6)), *(f"S{n}" for n in range(1, 6)))  # fmt: skip
_ROW, _GAP, _TOP, _LEFT = 17, 3, 8, 44
FIXED = "fixed · SINS not applicable"  # as the SINS card says it of a level with screws
NOT_ASSESSED = "SINS not assessed"


def _width(level: str) -> int:
    # Vertebral bodies grow from the neck down, the sacrum narrows: a hint of anatomy, no more.
    if level.startswith("S"):
        return 58 - 8 * (int(level[1:]) - 1)
    index = _DRAWN.index(level)
    return 34 + int(index * 1.4)


def spine_svg(
    scored: Mapping[str, tuple[str, str | None]],
    treated: Mapping[str, str] | None = None,
    unbanded: Mapping[str, str] | None = None,
    before: Mapping[str, str] | None = None,
    verdicts: Mapping[str, str] | None = None,
    cautions: Mapping[str, str] | None = None,
) -> str:
    """``scored`` maps a level to (total as shown, SINS band code or None when unsettled);
    ``treated`` a treated level to what was done there ("fixation on 20 May 2024");
    ``unbanded`` a level drawn without a band to what is said of it instead (``FIXED``: screws
    in or around it; ``NOT_ASSESSED``); ``before`` a level shown from findings before its
    treatment ("before the vertebroplasty"); ``verdicts`` a level to the recorded verdict of
    instability its card says beside SINS ("recorded unstable"), never left out of the words;
    ``cautions`` a level to what its card warns of that its band does not show ("unstable with
    cement alone"), said after it, so that no level the card warns of is drawn as only "stable"."""
    treated, before, unbanded = treated or {}, before or {}, unbanded or {}
    beside = [verdicts or {}, cautions or {}]
    # Each level's words after its band: its verdict, then what its card warns of.
    words = {lv: " · ".join(m[lv] for m in beside if lv in m) for m in beside for lv in m}
    height = _TOP * 2 + len(_DRAWN) * (_ROW + _GAP)

    def sins(level: str, total: str) -> str:
        return f"SINS {total} {before[level]}" if level in before else f"SINS {total}"

    def banded(level: str, band: str | None) -> str:
        # Beside what the card warns of, the band is SINS's reading only ("stable by SINS").
        said = BAND_WORDS[band]
        return f"{said} by SINS" if level in (cautions or {}) and band is not None else said

    def verdict(level: str) -> str:
        return f" · {words[level]}" if level in words else ""

    described = "; ".join(
        (
            f"{lv} {unbanded[lv]}"
            if lv in unbanded
            else f"{lv} {sins(lv, total)} ({banded(lv, band)})"
        )
        + verdict(lv)
        for lv, (total, band) in scored.items()
    )
    label = f"Spine from C1 to S5. Scored levels: {described or 'none'}."
    if treated:
        ordered = sorted(treated, key=lambda lv: _DRAWN.index(lv) if lv in _DRAWN else len(_DRAWN))
        label += f" Treated: {', '.join(f'{lv} ({treated[lv]})' for lv in ordered)}."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 {height}" role="img" '
        f'aria-label="{escape(label)}" class="spine" style="max-width:300px">'
    ]
    for i, level in enumerate(_DRAWN):
        y = _TOP + i * (_ROW + _GAP)
        width = _width(level)
        x = _LEFT + (60 - width) / 2
        total, band = scored.get(level, ("", None))
        fill = BAND_COLOURS[band] if level in scored and level not in unbanded else "#f2f2f2"
        stroke = "#1b1f24" if level in scored else "#9aa1aa"
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{width}" height="{_ROW}" rx="4" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{1.6 if level in scored else 1}"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 13}" font-size="11" text-anchor="end" '
            f'fill="#1b1f24">{level}</text>'
        )
        if level in treated:
            parts.append(
                f'<circle cx="{_LEFT + 30}" cy="{y + _ROW / 2}" r="4" fill="#1b1f24">'
                f"<title>{level} treated: {escape(treated[level])}</title></circle>"
            )
        if level in scored:
            said = (
                escape(unbanded[level])
                if level in unbanded
                else f"{escape(sins(level, total))} · {banded(level, band)}"
            ) + escape(verdict(level))
            parts.append(
                f'<text x="{_LEFT + 72}" y="{y + 13}" font-size="12" fill="#1b1f24">{said}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
