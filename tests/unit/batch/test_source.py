"""An export directory: its files, their types, and byte ranges that split no line."""

from __future__ import annotations

import pytest

from adapter.batch.source import chunk_lines, export_files, line_number, split
from adapter.errors import InputError


def _lines_of(path, chunk_bytes):
    files = export_files(path.parent)
    chunks = split(files, chunk_bytes)
    return [line for chunk in chunks for _, line in chunk_lines(chunk)], chunks


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 7, 8, 9, 16, 1000])
@pytest.mark.parametrize("ending", [b"\n", b""])
def test_every_line_is_read_once_whatever_the_chunk_size(tmp_path, chunk_bytes, ending):
    lines = [
        b'{"a":1}\n',
        b"\n",
        b'{"bb":22}\n',
        b'{"c":3}\n',
        b'{"resourceType":"Patient"}' + ending,
    ]
    path = tmp_path / "Patient.ndjson"
    path.write_bytes(b"".join(lines))
    got, chunks = _lines_of(path, chunk_bytes)
    assert got == lines
    assert len(chunks) == -(-path.stat().st_size // chunk_bytes)
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_offsets_give_line_numbers(tmp_path):
    path = tmp_path / "Patient.ndjson"
    path.write_bytes(b"one\ntwo\n\nfour\n")
    (chunk,) = split(export_files(tmp_path), 1 << 20)
    numbered = [(line_number(str(path), offset), line) for offset, line in chunk_lines(chunk)]
    assert numbered == [(1, b"one\n"), (2, b"two\n"), (3, b"\n"), (4, b"four\n")]


@pytest.mark.parametrize(
    ("name", "rtype"),
    [
        ("Patient.ndjson", "Patient"),
        ("Observation.2.ndjson", "Observation"),
        ("Observation-003.ndjson", "Observation"),
        ("1.Patient.ndjson", "Patient"),
        ("output_Condition_1.ndjson", "Condition"),
        ("0001.ndjson", None),
    ],
)
def test_type_from_the_file_name(tmp_path, name, rtype):
    (tmp_path / "Patient.ndjson").write_text("")
    (tmp_path / name).write_text("{}\n")
    found = {f.path.name: f.resource_type for f in export_files(tmp_path)}
    assert found[name] == rtype


def test_files_are_taken_in_name_order_and_other_files_ignored(tmp_path):
    for name in ("Observation.1.ndjson", "Patient.ndjson", "Condition.ndjson", "notes.txt"):
        (tmp_path / name).write_text("{}\n")
    (tmp_path / "sub.ndjson").mkdir()
    names = [f.path.name for f in export_files(tmp_path)]
    assert names == ["Condition.ndjson", "Observation.1.ndjson", "Patient.ndjson"]


def test_unusable_directories(tmp_path):
    with pytest.raises(InputError, match="is not a directory"):
        export_files(tmp_path / "missing")
    with pytest.raises(InputError, match="no NDJSON file"):
        export_files(tmp_path)
    (tmp_path / "Observation.ndjson").write_text("{}\n")
    with pytest.raises(InputError, match="no Patient file"):
        export_files(tmp_path)
