"""The one settings model, its generated table in docs/settings.md, and every SPINEMETS_* name
the project mentions."""

import re
from pathlib import Path

import pytest

from adapter.errors import ConfigurationError
from adapter.settings import NOT_SETTINGS, SpinemetsSettings, load, variable
from adapter.settings.table import AREAS, settings_table, with_table

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "settings.md"
NAME = re.compile(r"SPINEMETS_[A-Z0-9_]*")
SETTINGS = {variable(name) for name in SpinemetsSettings.model_fields}


def test_the_page_holds_the_table_the_model_gives():
    page = PAGE.read_text()
    assert page == with_table(page), "docs/settings.md drifted: run scripts/generate-settings-docs"


def test_every_setting_is_described_and_in_one_area_of_the_table():
    fields = SpinemetsSettings.model_fields
    assert all(field.description for field in fields.values())
    in_areas = [name for _, area in AREAS for name in area.model_fields]
    assert sorted(in_areas) == sorted(fields)
    table = settings_table()
    assert all(f"| `{name}` |" in table for name in SETTINGS)


def _mentioned() -> dict[str, set[str]]:
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "adapter").rglob("*.py")]
    files += [p for p in (ROOT / "scripts").iterdir() if p.is_file()]
    found: dict[str, set[str]] = {}
    for path in files:
        for name in NAME.findall(path.read_text(errors="replace")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_name_mentioned_is_a_setting_or_listed_as_none():
    unknown = {}
    for name, where in _mentioned().items():
        if name.endswith("_"):  # a family: SPINEMETS_WINDOW_<KIND>_DAYS, SPINEMETS_NOTIFY_*
            known = any(s.startswith(name) for s in SETTINGS)
        else:
            known = name in SETTINGS or name in NOT_SETTINGS
        if not known:
            unknown[name] = sorted(where)
    assert not unknown


def test_every_documented_name_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SPINEMETS_WINDOW_LABS_DAYS", "45")
    monkeypatch.setenv("SPINEMETS_CARD_NESMS", "true")
    monkeypatch.setenv("SPINEMETS_MAX_LINE_BYTES", "4096")
    monkeypatch.setenv("SPINEMETS_NOTIFY_LEASE", "60")
    monkeypatch.setenv("SPINEMETS_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = load()
    assert settings.window_labs_days == 45 and settings.card_nesms
    assert settings.max_line_bytes == 4096 and settings.notify_lease == 60
    assert settings.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize(
    ("name", "value"),
    [("SPINEMETS_PORT", "eighty"), ("SPINEMETS_WORKERS", "0"), ("SPINEMETS_INR_MAX", "9"),
     ("SPINEMETS_MAX_JSON_DEPTH", "2"), ("SPINEMETS_NOTIFY_LEASE", "1"),
     ("SPINEMETS_ISSUERS", "[{\"iss\": \"\"}]")],
)  # fmt: skip
def test_an_unusable_value_is_one_line_naming_its_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load()
    assert str(caught.value).startswith(name) and "\n" not in str(caught.value)


def test_the_rules_relate_on_every_surface(monkeypatch):
    monkeypatch.setenv("SPINEMETS_REIMAGE_FROM_DAYS", "60")
    monkeypatch.setenv("SPINEMETS_REIMAGE_UNTIL_DAYS", "50")
    with pytest.raises(ConfigurationError, match="SPINEMETS_REIMAGE_UNTIL_DAYS"):
        load()
