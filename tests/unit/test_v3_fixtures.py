"""The contract v3 fixtures (fixtures/v3/, issue 19) on the command line's text report and page and
on the cards of the CDS app in-process, each against its hand-written expectation; and the files
on disk are the ones fixtures/build.py writes from the tables. (A real ``serve``:
tests/integration/test_v3_fixtures.py; the page in a browser: tests/browser/test_pages.py.)"""

from __future__ import annotations

import importlib
import json
import sys

import pytest

from adapter import cli
from adapter.cds.settings import Settings
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import LOCAL_PROCEDURE_MAP, default_terminology
from tests.support import v3_fixtures as v3
from tests.unit.cds.conftest import PREFETCH_TYPES, client_for
from tests.unit.surface_readers import text_sections

FIXTURES_DIR = v3.ROOT / "fixtures"


def _tables():
    """fixtures/lib/v3.py and the case tables, imported as fixtures/build.py imports them."""
    if str(FIXTURES_DIR) not in sys.path:
        sys.path.insert(0, str(FIXTURES_DIR))
    lib_v3 = importlib.import_module("lib.v3")
    cases = [
        *importlib.import_module("cases.v3_a").CASES,
        *importlib.import_module("cases.v3_b").CASES,
    ]
    return lib_v3, cases


def test_files_on_disk_are_the_tables_built():
    lib_v3, cases = _tables()
    built = lib_v3.v3_files(cases)
    on_disk = {
        str(p.relative_to(FIXTURES_DIR))
        for p in [
            *(FIXTURES_DIR / "v3").rglob("*.json"),
            *(FIXTURES_DIR / "expected" / "v3").glob("*"),
        ]
    }
    assert on_disk == set(built), "fixtures/v3 drifted: run python fixtures/build.py"
    for path, obj in built.items():
        assert json.loads((FIXTURES_DIR / path).read_text()) == obj, f"{path} drifted: run build.py"
    assert {c.bullet for c in cases} == set(range(1, 12)), "every Why bullet has a fixture"


def test_requests_fill_every_prefetch_key_of_the_record_list():
    lib_v3, _ = _tables()
    assert lib_v3.PREFETCH == PREFETCH_TYPES
    for name in v3.CASES:
        for body in v3.requests(name).values():
            assert set(body["prefetch"]) == {"patient", *PREFETCH_TYPES}


@pytest.fixture
def local_map(monkeypatch):
    """The fixtures' site ConceptMap in the environment, read afresh (the terminology is cached)."""
    monkeypatch.setenv(LOCAL_PROCEDURE_MAP, str(v3.LOCAL_MAP))
    default_terminology.cache_clear()
    yield
    default_terminology.cache_clear()


def _bundle(name: str) -> dict:
    entries = [{"resource": r} for r in [*v3.resources(name), *v3.orders(name)]]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


@pytest.mark.parametrize("name", v3.CASES)
def test_text_report_and_page_say_what_is_expected(name, local_map, tmp_path, capsys):
    want = v3.expected(name)
    source = tmp_path / "input.json"
    source.write_text(json.dumps(_bundle(name)))
    assert cli.main(["score", str(source), "--format", "text", "--now", v3.NOW]) == 0
    section = text_sections(capsys.readouterr().out)[want["patient"]]
    v3.check_lines(section, want["text"], f"{name} text")
    pages = tmp_path / "pages"
    pages.mkdir()
    args = ["score", str(source), "--format", "html", "--output", str(pages), "--now", v3.NOW]
    assert cli.main(args) == 0
    capsys.readouterr()
    html = (pages / f"{want['patient']}.html").read_text()
    v3.check_lines(v3.page_text(html), want["page"], f"{name} page")


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("name", v3.CASES)
async def test_cards_in_process_say_what_is_expected(name, local_map, tmp_path, monkeypatch):
    from adapter.cds import services

    monkeypatch.setattr(services, "now_time", lambda: parse_time(v3.NOW))
    want = v3.expected(name)
    services_of = {"patient-view": "spinemets-scores", "order-sign": "spinemets-procedure-check"}
    async with client_for(Settings(state_dir=tmp_path / "state")) as client:
        for hook, body in v3.requests(name).items():
            service = services_of[hook]
            response = await client.post(f"/cds-services/{service}", json=body)
            assert response.status_code == 200, response.text
            if service in want["cds"]:
                v3.check_cards(response.json()["cards"], want["cds"][service], f"{name} {service}")
