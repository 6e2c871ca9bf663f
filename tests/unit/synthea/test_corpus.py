"""The corpus cache: where it lives, when it is reused, what the script accepts."""

from __future__ import annotations

import pytest

from synthea import corpus
from synthea.module import build_module


def test_the_cache_lives_under_spinemets_cache_or_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEMETS_CACHE", str(tmp_path / "a"))
    assert corpus.cache_root() == tmp_path / "a" / "synthea"
    monkeypatch.delenv("SPINEMETS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert corpus.cache_root() == tmp_path / "b" / "spinemets" / "synthea"


def test_a_cached_corpus_is_reused_without_running_anything(monkeypatch, tmp_path):
    monkeypatch.setenv("SPINEMETS_CACHE", str(tmp_path))
    target = tmp_path / "synthea" / f"{corpus.corpus_key(build_module())}-n5-s7"
    target.mkdir(parents=True)
    (target / "manifest.json").write_text("{}")

    def refuse(*args, **kwargs):
        raise AssertionError("nothing should run for a cached corpus")

    monkeypatch.setattr(corpus, "classpath", refuse)
    monkeypatch.setattr(corpus, "_run", refuse)
    assert corpus.generate(5, 7) == target
    with pytest.raises(AssertionError, match="nothing should run"):
        corpus.generate(5, 7, force=True)


def test_the_key_changes_with_the_module():
    module = build_module()
    changed = build_module()
    changed["states"]["Terminal"]["remarks"] = ["changed"]
    assert corpus.corpus_key(module) != corpus.corpus_key(changed)


def test_the_arguments_pin_everything_that_shapes_the_output(tmp_path):
    args = corpus.synthea_args(30, 4, tmp_path / "m", tmp_path / "o")
    for flag, value in (("-s", "4"), ("-cs", "4"), ("-p", "30"), ("-o", "false"),
                        ("-r", corpus.END_DATE), ("-e", corpus.END_DATE)):  # fmt: skip
        assert args[args.index(flag) + 1] == value
    assert "--exporter.years_of_history=0" in args


def test_a_patient_count_below_one_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        corpus.main(["0", "1"])
    assert exc.value.code == 2 and "at least 1" in capsys.readouterr().err
