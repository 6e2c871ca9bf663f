"""The patients of a cohort named by a FHIR Group (adapter/sync/cohort.py, contract §6)."""

from __future__ import annotations

import asyncio
from typing import Any

from adapter.mapping.terminology import default_terminology
from adapter.sync.cohort import cohort_patients


class _Server:
    def __init__(self, group: dict) -> None:
        self.group = group

    async def read(self, rtype: str, rid: str) -> dict:
        assert (rtype, rid) == ("Group", "g")
        return self.group


def test_members_the_group_marks_inactive_or_ended_are_left_out_and_named():
    # A registry records a withdrawal or an exclusion so: counted, they changed n, the means and
    # the survival curve without a word.
    group = {"resourceType": "Group", "id": "g", "type": "person", "actual": True, "member": [
        {"entity": {"reference": "Patient/a"}},
        {"entity": {"reference": "Patient/b"}, "inactive": True},
        {"entity": {"reference": "Patient/c"},
         "period": {"start": "2024-01-01", "end": "2024-02-01"}},
        {"entity": {"reference": "Patient/d"}, "period": {"start": "2024-01-01"}},
    ]}  # fmt: skip
    server: Any = _Server(group)  # answers the one read the Group needs
    patients, issues = asyncio.run(cohort_patients(server, default_terminology(), "g"))
    assert patients == ["a", "d"]
    assert any("Patient/b" in i and "inactive" in i for i in issues), issues
    assert any("Patient/c" in i and "ended" in i and "2024-02-01" in i for i in issues), issues


def test_a_membership_ending_after_the_computation_time_is_kept():
    # A planned end (a study's, a follow-up window's), or one after the date the cohort is
    # computed as of: the patient was a member then. An end that cannot be read is named, kept.
    from adapter.fhir.read.timing import parse_time

    group = {"resourceType": "Group", "id": "g", "type": "person", "actual": True, "member": [
        {"entity": {"reference": "Patient/a"}, "period": {"end": "2030-12-31"}},
        {"entity": {"reference": "Patient/b"}, "period": {"end": "2025-06-01"}},
        {"entity": {"reference": "Patient/c"}, "period": {"end": "soon"}},
    ]}  # fmt: skip
    server: Any = _Server(group)
    now = parse_time("2025-01-01T00:00:00Z")
    patients, issues = asyncio.run(cohort_patients(server, default_terminology(), "g", now))
    assert patients == ["a", "b", "c"]
    assert [i for i in issues if "Patient/c" in i and "cannot be read" in i], issues
    later = parse_time("2026-01-01T00:00:00Z")
    patients, _ = asyncio.run(cohort_patients(server, default_terminology(), "g", later))
    assert patients == ["a", "c"]


def test_a_membership_is_read_to_the_end_of_its_day_or_month_and_from_its_start():
    from adapter.fhir.read.timing import parse_time

    group = {"resourceType": "Group", "id": "g", "type": "person", "actual": True, "member": [
        {"entity": {"reference": "Patient/a"}, "period": {"end": "2025-06"}},
        {"entity": {"reference": "Patient/b"}, "period": {"end": "2025-06-10"}},
        {"entity": {"reference": "Patient/c"}, "period": {"start": "2026-01-01"}},
    ]}  # fmt: skip
    server: Any = _Server(group)
    now = parse_time("2025-06-10T12:00:00Z")
    patients, issues = asyncio.run(cohort_patients(server, default_terminology(), "g", now))
    assert patients == ["a", "b"]
    assert [i for i in issues if "Patient/c" in i and "begins" in i], issues
