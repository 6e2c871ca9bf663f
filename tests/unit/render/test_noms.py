"""NOMS in words (contract §1 v3): the framework's path per level with its sources, never an
order; every path listed when an input is open; row 6 marked UNCONFIRMED."""

from __future__ import annotations

from pathlib import Path

from adapter.decision.noms import noms_view
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import read_patients, score_patient
from adapter.render.noms import noms_context, noms_section, noms_text

MORE = Path(__file__).resolve().parents[3] / "fixtures" / "more"
NOW = parse_time("2025-01-01T00:00:00Z")


def _view(name: str):
    (data,) = read_patients(str(MORE / f"{name}.json"), [])
    return noms_view(score_patient(data, default_terminology(), now=NOW))


def test_everything_recorded_gives_one_path_with_its_sources():
    view = _view("everything-recorded")
    text = "\n".join(noms_text(view))
    assert "NOMS framework (Laufer 2013): The framework's path" in text and "not an order" in text
    assert "T8: conventional external-beam radiotherapy (cEBRT) [BS06, MSK10]" in text
    assert "N: Bilsky 1b at T8" in text and "Tumour radiosensitivity: Radiosensitive" in text
    assert "BS06: Bilsky, Smith" in text and "MSK10: MSKCC NOMS review (2010)" in text
    html = noms_section(view)
    assert 'data-noms="T8"' in html and "cEBRT" in html and "Sources" in html
    context = noms_context(view, "T8")
    assert context is not None and context.startswith("NOMS framework (Laufer 2013) at T8")
    assert noms_context(view, "L1") is None


def test_nothing_recorded_lists_every_path_and_marks_row_6_unconfirmed():
    view = _view("partly-recorded")
    text = "\n".join(noms_text(view))
    assert "T8: one of these paths (not settled — open: neurological (Bilsky grade)" in text
    assert "no surgical path; radiation per clinician (UNCONFIRMED) [L13]" in text
    assert text.count("separation surgery, then stereotactic radiosurgery") == 2  # T8 and L2
    for word in ("indicated", "must ", "should "):
        assert word not in text.lower()


def test_no_level_no_section():
    assert noms_text(None) == [] and noms_section(None) == "" and noms_context(None, "T8") is None
