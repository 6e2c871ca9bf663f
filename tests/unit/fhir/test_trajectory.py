"""The outcome summary Observation: components, absent windows, determinism, R4 validity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from adapter.fhir.read.timing import parse_time
from adapter.fhir.write.trajectory import build_outcome_observation, outcome_component_codes
from adapter.fhir.write.validate import validate_r4
from adapter.outcomes import Measurement, PatientOutcome, Trajectory

START = datetime(2024, 5, 22, 8, tzinfo=UTC)
NOW = parse_time("2026-01-01T00:00:00Z")


def m(day: int, value: float, source: str) -> Measurement:
    when = START + timedelta(days=day)
    return Measurement(value, when, when.date(), True, 0, source, when.isoformat())


def outcome(pain: Trajectory, barthel: Trajectory) -> PatientOutcome:
    return PatientOutcome(
        patient="p", index_day=date(2024, 5, 22), index_start=START, procedures=("Procedure/x",),
        treated_levels=("T12",), cement_ml=None, sex=None, age_years=None, primary_sites=(),
        died=False, death=None, last_follow_up=None, pain=pain, barthel=barthel,
    )  # fmt: skip


def components(obs: dict) -> dict:
    out = {}
    for c in obs["component"]:
        code = c["code"]["coding"][0]["code"]
        out[code] = c["valueQuantity"]["value"] if "valueQuantity" in c else None
    return out


def test_values_changes_and_absent_windows():
    pain = Trajectory((m(-2, 8, "Observation/a"), m(7, 3.5, "Observation/b"), None, None), ("3mo",))
    built = build_outcome_observation(outcome(pain, Trajectory()), evidence=[], now=NOW)
    obs = built.resource
    validate_r4(obs)
    got = components(obs)
    assert list(got) == outcome_component_codes() and len(got) == 14
    assert got["pain-baseline"] == 8 and got["pain-7d"] == 3.5 and got["pain-7d-change"] == -4.5
    assert got["pain-3mo"] is None and got["barthel-baseline"] is None
    assert obs["focus"] == [{"reference": "Procedure/x"}]
    assert obs["derivedFrom"] == [{"reference": "Observation/a"}, {"reference": "Observation/b"}]
    assert "pain 3mo" in obs["note"][0]["text"]
    assert obs["effectiveDateTime"] == NOW.text  # no timed evidence given: the computation time
    again = build_outcome_observation(outcome(pain, Trajectory()), evidence=[], now=NOW)
    assert again == built


def test_nothing_measured_still_names_the_procedure():
    obs = build_outcome_observation(
        outcome(Trajectory(), Trajectory()), evidence=[], now=NOW
    ).resource
    validate_r4(obs)
    assert "derivedFrom" not in obs and all(v is None for v in components(obs).values())
    assert obs["code"]["coding"][0]["display"] == "Outcome after the index procedure"
