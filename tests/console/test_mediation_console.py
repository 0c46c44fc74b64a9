"""The console's 类案参考: a dispute's panel lists earlier mediation cases like it."""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.mediation import MediationStore
from gridgis.mediation.sample import sample_mediation
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    SECRET,
    _inside,
    _open,
    _open_incident,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    page,
    prepared,
)


@pytest.fixture(scope="module")
def dispute(district, prepared) -> str:
    """Mediation cases in the console's store, and a medical dispute reported in township A."""
    layers, _ = district
    where, cast = prepared
    store = SQLiteStore(where / "console.sqlite")
    try:
        MediationStore(store.engine).load(sample_mediation(layers, per_year=300).frames())
        county = cast.people[cast.county]
        lon, lat = _inside(layers, cast.grid)
        record, _ = Dispatcher(layers, store).report(
            lon=lon, lat=lat, category="D06", source="grid_worker", by=county,
            description="患者手术后切口感染，家属在医院聚集要求赔偿")
        return record["incident_id"]
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(district, prepared, dispute):
    (where, _), (_, gpkg) = prepared, district
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "console.sqlite", where / "server.log") as base:
            yield base


def test_a_dispute_shows_similar_mediation_cases(page, server, cast, dispute):
    _open(page, server)
    _sign_in(page, cast.township_head)
    _open_incident(page, dispute)
    box = page.locator("#p-similar")
    expect(box).to_have_attribute("data-count", "5")
    expect(box.locator("li").first).to_contain_text("医疗纠纷")
    expect(box).to_contain_text("类案参考")
    _shot(page, "similar-cases")
    assert _script_errors(page) == [] and page.blocked == []


def test_a_non_dispute_has_no_similar_cases(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.county)
    _open_incident(page, cast.reported)
    assert page.locator("#p-similar").count() == 0
