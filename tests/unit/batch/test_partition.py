"""The first pass: resources to their patient's partition, through a shard and its index."""

from __future__ import annotations

import json
from collections import Counter

import pytest

import adapter.batch.partition as partition_module
from adapter.batch.partition import (
    UNUSABLE,
    partition_name,
    partition_of,
    read_shard,
    shard_chunk,
)
from adapter.batch.source import export_files, split
from adapter.fhir.read.shape import InputLimits

KPS = {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}
LAB = {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}


def _obs(oid, patient, code=KPS):
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": code,
            "subject": {"reference": patient}, "valueInteger": 70}  # fmt: skip


def _write(directory, name, resources):
    text = "".join(json.dumps(r) + "\n" if isinstance(r, dict) else r for r in resources)
    (directory / name).write_text(text)


def _shards(work, chunks, partitions):
    """Every partition's lines over every chunk (the unassigned partition last)."""
    return [
        [json.loads(line) for c in range(chunks)
         for line in read_shard(work, c, p).decode().splitlines()]
        for p in range(partitions + 1)
    ]  # fmt: skip


def test_partition_is_spread_evenly():
    # The same in every interpreter whatever its string hashing:
    # tests/integration/test_batch_processes.py (it starts two).
    ids = [f"patient-{n}" for n in range(8000)]
    sizes = Counter(partition_of(i, 16) for i in ids)
    assert set(sizes) == set(range(16))
    assert max(sizes.values()) < 1.25 * 8000 / 16 < 1.25 * 1.25 * min(sizes.values())


def test_partition_names():
    assert partition_name(7, 16) == "p00007"
    assert partition_name(16, 16) == "unassigned"


def test_each_patient_lands_whole_in_one_partition_and_unread_lines_are_dropped(tmp_path):
    source = tmp_path / "export"
    source.mkdir()
    _write(
        source, "Patient.ndjson", [{"resourceType": "Patient", "id": f"p{n}"} for n in range(40)]
    )
    _write(source, "Observation.ndjson",
           [_obs(f"k{n}", f"Patient/p{n}") for n in range(40)]
           + [_obs(f"lab{n}", f"Patient/p{n}", LAB) for n in range(40)]
           + [_obs("g", "Group/g1"), "\n"])  # fmt: skip
    _write(
        source,
        "Immunization.ndjson",
        [{"resourceType": "Immunization", "id": "i", "patient": {"reference": "Patient/p1"}}],
    )
    work = tmp_path / "work"
    chunks = split(export_files(source), 500)
    counts = [shard_chunk(c, work=work, partitions=4) for c in chunks]
    assert sum(c.lines for c in counts) == 40 + 81 + 1
    assert sum(c.kept for c in counts) == 80 and sum(c.unassigned for c in counts) == 1
    not_read = sum((c.not_read for c in counts), Counter())
    assert not_read == {"Observation with a code no score reads": 40, "Immunization": 1}
    shards = _shards(work, len(chunks), 4)
    for index, resources in enumerate(shards[:4]):
        for resource in resources:
            patient = (
                resource["id"]
                if resource["resourceType"] == "Patient"
                else resource["subject"]["reference"][8:]
            )
            assert partition_of(patient, 4) == index
    assert sorted(r["id"] for part in shards[:4] for r in part) == sorted(
        [f"p{n}" for n in range(40)] + [f"k{n}" for n in range(40)]
    )
    assert [r["id"] for r in shards[4]] == ["g"]
    # Lines keep their order within a partition: Observation.ndjson before Patient.ndjson.
    for part in shards[:4]:
        kinds = [r["resourceType"] for r in part]
        assert kinds == sorted(kinds)


def test_running_a_chunk_again_replaces_its_shard_with_the_same_bytes(tmp_path):
    source = tmp_path / "export"
    source.mkdir()
    _write(
        source, "Patient.ndjson", [{"resourceType": "Patient", "id": f"p{n}"} for n in range(30)]
    )
    work = tmp_path / "work"
    (chunk,) = split(export_files(source), 1 << 20)
    shard_chunk(chunk, work=work, partitions=3)
    before = {p.name: p.read_bytes() for p in (work / "shards").iterdir()}
    shard_chunk(chunk, work=work, partitions=3)
    after = {p.name: p.read_bytes() for p in (work / "shards").iterdir()}
    assert after == before and sorted(before) == ["c00000.index", "c00000.ndjson"]
    assert sum(len(read_shard(work, 0, p).splitlines()) for p in range(4)) == 30


@pytest.mark.parametrize(
    "line",
    ["{not json\n", "[1, 2]\n", '{"id": "x"}\n', '{"resourceType": "Observation", "v": NaN}\n',
     '{"resourceType": "Observation", "v": 1e400}\n', "{" + "x" * 5000 + "\n"],
)  # fmt: skip
def test_a_malformed_line_is_counted_and_the_rest_kept(tmp_path, monkeypatch, line):
    monkeypatch.setattr(partition_module, "input_limits", lambda: InputLimits(max_line_bytes=4096))
    source = tmp_path / "export"
    source.mkdir()
    _write(source, "Patient.ndjson", [{"resourceType": "Patient", "id": f"p{n}"} for n in range(5)])
    _write(
        source, "Observation.ndjson", [_obs("a", "Patient/p1"), "\n", _obs("b", "Patient/p2"), line]
    )
    chunks = split(export_files(source), 100)  # the bad line is not in the file's first chunk
    work = tmp_path / "work"
    counts = [shard_chunk(chunk, work=work, partitions=2) for chunk in chunks]
    assert sum(c.not_read[UNUSABLE] for c in counts) == 1
    assert sum(c.kept for c in counts) == 7  # five patients, two observations
    assert not [p for p in (work / "shards").iterdir() if ".tmp-" in p.name]
