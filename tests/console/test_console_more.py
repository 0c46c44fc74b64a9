"""改派 in the console: the holder reroutes a returned matter to another category's unit.

Headless Chromium with every request off 127.0.0.1 blocked, as in test_console.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    SECRET,
    _inside,
    _open,
    _open_incident,
    _prepare,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    district,
    expect,
    page,
)


@pytest.fixture(scope="module")
def prepared(district, tmp_path_factory):
    """The cast of test_console, and a matter a sanitation unit returned (E02, in township A)."""
    where = tmp_path_factory.mktemp("console-reroute")
    layers, _ = district
    cast = _prepare(layers, where / "console.sqlite")
    store = SQLiteStore(where / "console.sqlite")
    try:
        desk = Dispatcher(layers, store)
        county = cast.people[cast.county]
        grid = sorted(layers.grids["code"])[1]
        lon, lat = _inside(layers, grid)
        record, _ = desk.report(lon=lon, lat=lat, category="E02", by=county,
                                description="垃圾桶旁电线掉落", source="grid_worker")
        iid = record["incident_id"]
        units = layers.units
        sanitation = units.loc[units["kind"] == "sanitation", "unit_id"].iloc[0]
        desk.transition(iid, action="accept", by=county)
        desk.transition(iid, action="dispatch", by=county, unit_id=sanitation)
        desk.transition(iid, action="return", by=cast.people[f"dw{sanitation}"],
                        note="电线掉落不属环卫职责")
    finally:
        store.close()
    return where, cast, {"incident": iid, "community": f"sq{grid[:12]}",
                         "sanitation": sanitation}


@pytest.fixture(scope="module")
def server(district, prepared):
    (where, _, _), (_, gpkg) = prepared, district
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "console.sqlite", where / "server.log") as base:
            yield base


def test_the_holder_reroutes_a_returned_matter_from_the_panel(page, server, prepared,
                                                               district):
    layers, _ = district
    _, _, more = prepared
    units = layers.units.set_index("unit_id")
    _open(page, server)
    _sign_in(page, more["community"])
    _open_incident(page, more["incident"])
    panel = page.locator("#panel")
    form = panel.locator("fieldset#reroute")
    expect(form).to_be_visible()
    expect(form.locator("#rr-from")).to_contain_text(units.loc[more["sanitation"], "name"])
    expect(form.locator("#rr-from")).to_contain_text("电线掉落不属环卫职责")
    # the same category first: its departments, the returning unit left out
    expect(form.locator("#rr-unit option").first).to_be_attached()
    shown = form.locator("#rr-unit option").evaluate_all("os => os.map(o => o.value)")
    assert more["sanitation"] not in shown
    assert {units.loc[u, "kind"] for u in shown} <= {"sanitation", "enforcement_squad"}
    form.locator("#rr-category").select_option("S01")
    expect(form.locator("#rr-kind option")).to_have_count(2)  # all, and 供电所
    expect(form.locator("#rr-kind")).to_contain_text("供电")
    page.wait_for_function("""() => [...document.querySelectorAll('#rr-unit option')]
        .length > 0 && document.querySelector('#reroute').rerouteUnits.category === 'S01'""")
    shown = form.locator("#rr-unit option").evaluate_all("os => os.map(o => o.value)")
    assert shown and {units.loc[u, "kind"] for u in shown} == {"power_supply"}
    # no reason: the console asks for one and sends nothing
    panel.locator("button[data-action=reroute]").click()
    expect(panel.locator(".actions .error")).to_have_text("请填写改派原因")
    expect(page.locator("#p-status")).to_have_attribute("data-status", "accepted")
    _shot(page, "reroute-form")
    target = shown[0]
    form.locator("#rr-unit").select_option(target)
    form.locator("#rr-reason").fill("实为电线掉落，改由供电所处置")
    panel.locator("button[data-action=reroute]").click()
    expect(page.locator("#p-status")).to_have_attribute("data-status", "dispatched")
    last = panel.locator(".timeline li").last
    expect(last).to_contain_text("改派")
    expect(last).to_contain_text(units.loc[target, "name"])
    expect(last).to_contain_text("E02")
    expect(last).to_contain_text("S01")
    assert _script_errors(page) == [] and page.blocked == []
    _shot(page, "rerouted")


def test_the_search_box_asks_the_service(page, server, prepared, district):
    layers, _ = district
    _, cast, more = prepared
    _open(page, server)
    _sign_in(page, cast.county)
    asked = []
    page.on("request", lambda r: "/incidents?" in r.url and "q=" in r.url and asked.append(r.url))
    page.locator("#f-search").fill("旁电线")
    expect(page.locator("#list li")).to_have_count(1)
    expect(page.locator("#list li").first).to_have_attribute("data-id", more["incident"])
    assert any("q=%E6%97%81%E7%94%B5%E7%BA%BF" in u for u in asked), asked
    # an area's name: every row lies in it, as many as the service counts
    town = layers.townships.set_index("code").loc[cast.other_township, "name"]
    page.locator("#f-search").fill(town)
    expect(page.locator("#list li").first).to_have_attribute("data-township",
                                                             cast.other_township)
    rows = page.locator("#list li").evaluate_all("ls => ls.map(l => l.dataset.township)")
    assert rows and set(rows) == {cast.other_township}
    _shot(page, "search")
    assert _script_errors(page) == [] and page.blocked == []
