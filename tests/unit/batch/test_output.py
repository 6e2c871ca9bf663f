"""Result files: ids and relative references, files replaced whole, stale files removed."""

from __future__ import annotations

import json

from adapter.batch.output import output_files, remove_stale, stored, write_partition
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from tests.support.records import NOW, P, default_patient, measurement


def _outputs(kps=80):
    resources = default_patient(drop=("kps",), extra=(measurement("kps", "89243-0", kps),))
    data = patient_records(resources, P)
    result = score_patient(data, default_terminology(), now=parse_time(NOW))
    return result.resources()


def _references(value):
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_outputs_get_ids_and_point_at_each_other_by_relative_reference():
    built = _outputs()
    resources = stored(built)
    assert [r["resourceType"] for r in resources] == [b.resource["resourceType"] for b in built]
    ids = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert len(ids) == len(resources)
    refs = [ref for r in resources for ref in _references(r)]
    assert not [ref for ref in refs if ref.startswith("urn:")]
    provenance = resources[-1]
    assert {t["reference"] for t in provenance["target"]} == ids - {
        f"Provenance/{provenance['id']}"
    }
    # Apart from id and references, each resource is the Bundle's own.
    url_of = {
        f"{r['resourceType']}/{r['id']}": b.full_url for r, b in zip(resources, built, strict=True)
    }
    for resource, original in zip(resources, built, strict=True):
        back = json.loads(json.dumps(resource))
        del back["id"]
        text = json.dumps(back)
        for ref, url in url_of.items():
            text = text.replace(f'"{ref}"', f'"{url}"')
        assert json.loads(text) == original.resource


def test_a_new_result_of_the_same_series_keeps_its_id():
    """$import and PUT by id then replace the older result, as sync keeps one per series."""
    before = {r["identifier"][1]["value"]: r for r in stored(_outputs()) if "identifier" in r}
    after = {r["identifier"][1]["value"]: r for r in stored(_outputs(kps=40)) if "identifier" in r}
    assert before.keys() == after.keys()
    changed = [s for s in before if before[s]["identifier"][0] != after[s]["identifier"][0]]
    assert changed  # the KPS changed Tokuhashi's result
    assert all(before[s]["id"] == after[s]["id"] for s in before)


def test_a_partition_is_replaced_whole_and_other_partitions_untouched(tmp_path):
    obs = [
        b'{"resourceType":"Observation","id":"a"}\n',
        b'{"resourceType":"Observation","id":"b"}\n',
    ]
    outcome = [b'{"resourceType":"OperationOutcome","issue":[]}\n']
    assert write_partition(tmp_path, "p00001", {"Observation": obs, "OperationOutcome": outcome}) == {
        "Observation": 2, "OperationOutcome": 1}  # fmt: skip
    write_partition(tmp_path, "p00002", {"Observation": obs[:1]})
    assert write_partition(tmp_path, "p00001", {"Observation": obs[1:]}) == {"Observation": 1}
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["Observation.p00001.ndjson", "Observation.p00002.ndjson"]
    assert (
        tmp_path / "Observation.p00001.ndjson"
    ).read_text() == '{"resourceType":"Observation","id":"b"}\n'
    write_partition(tmp_path, "p00002", {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Observation.p00001.ndjson"]


def test_stale_result_files_are_removed_and_nothing_else(tmp_path):
    for name in ("Observation.p00000.ndjson", "Observation.p00031.ndjson",
                 "OperationOutcome.unassigned.ndjson", "Patient.ndjson", "manifest.json"):  # fmt: skip
        (tmp_path / name).write_text("{}\n")
    assert set(output_files(tmp_path).values()) == {
        ("Observation", "p00000"), ("Observation", "p00031"), ("OperationOutcome", "unassigned")}  # fmt: skip
    assert remove_stale(tmp_path, ["Observation.p00000.ndjson"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Observation.p00000.ndjson", "Patient.ndjson", "manifest.json"]  # fmt: skip
