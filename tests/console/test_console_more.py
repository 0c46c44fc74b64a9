"""改派 in the console: the holder reroutes a returned matter to another category's unit.

Headless Chromium with every request off 127.0.0.1 blocked, as in test_console.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import dataclasses
from urllib.parse import unquote

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.incidents.record import IncidentRecord
from gridgis.store import SQLiteStore
from gridgis.store.base import Event
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    SECRET,
    _inside,
    _new_page,
    _open,
    _prepare,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    district,
    expect,
    page,
)

MANY = 1200  # more than one read of 1,000: the cluster and heat layers page through them


def _many(layers, store, desk, county, n):
    """``n`` more reports spread over every grid, written straight into the store."""
    record, _ = desk.report(lon=_inside(layers, layers.grids["code"].iloc[0])[0],
                            lat=_inside(layers, layers.grids["code"].iloc[0])[1],
                            category="E02", description="批量上报", by=county)
    template = IncidentRecord.from_row(store.get(record["incident_id"]))
    per = -(-n // len(layers.grids))
    points = layers.grids.sample_points(per, rng=11).explode(index_parts=False)
    codes = layers.grids["code"]
    made = 1
    for idx, p in points.items():
        if made >= n:
            break
        code = codes.loc[idx]
        rec = dataclasses.replace(template, lon=p.x, lat=p.y, input_lon=p.x, input_lat=p.y,
                                  grid_code=code, community_code=code[:12],
                                  township_code=code[:9], description=f"批量上报 {made}",
                                  duplicate_of=[], incident_id=None, version=0,
                                  updated_at=None)
        store.create(rec, Event(at=template.reported_at, actor=county.staff_id,
                                role="command_centre", action="report", from_state=None,
                                to_state="reported", note=None, data={}, client=None))
        made += 1


def _open_by_id(pg, incident_id):
    """Open an incident wherever it stands on the board: its id in the search box, Enter."""
    pg.locator("#f-search").fill(incident_id)
    pg.locator("#f-search").press("Enter")
    expect(pg.locator("#panel-body")).to_have_attribute("data-id", incident_id)


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
        _many(layers, store, desk, county, MANY)
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
    _open_by_id(page, more["incident"])
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


def test_thousands_of_incidents_cluster_and_heat(page, server, prepared):
    _, cast, _ = prepared
    _open(page, server)
    _sign_in(page, cast.county)
    control = page.locator(".leaflet-control-layers")
    control.get_by_text("事件聚合（全部）").click()
    page.wait_for_function(f"() => Number(map.getContainer().dataset.spread) > {MANY}")
    total = int(page.evaluate("() => map.getContainer().dataset.spread"))
    matched = page.evaluate("""async () => (await api('/incidents?status=' + OPEN +
        '&limit=1')).matched""")
    assert total == matched  # every open incident, not the listed page of 100
    page.wait_for_selector(".spread-cluster")
    # what the clusters and the single markers shown count adds up to what lies in view
    shown, in_view = page.evaluate("""() => {
        let n = 0;
        spread.cluster.eachLayer(() => {});
        const bounds = map.getBounds();
        spread.cluster._featureGroup.eachLayer((l) => {
            if (!bounds.contains(l.getLatLng())) return;
            n += l.getChildCount ? l.getChildCount() : 1; });
        let v = 0;
        spread.cluster.eachLayer((m) => { if (bounds.contains(m.getLatLng())) v += 1; });
        return [n, v];
    }""")
    assert shown == in_view > MANY // 2
    assert page.locator(".spread-cluster").count() < 200  # thousands drawn as a few clusters
    _shot(page, "clusters")
    control.get_by_text("事件聚合（全部）").click()
    control.get_by_text("事件热力图").click()
    page.wait_for_selector("canvas.heat-layer")
    painted = page.evaluate("""() => {
        const c = document.querySelector('canvas.heat-layer');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n += 1;
        return n / (c.width * c.height);
    }""")
    assert painted > 0.05
    _shot(page, "heat")
    assert _script_errors(page) == [] and page.blocked == []


def test_the_statistics_page_draws_its_charts_offline(page, server, prepared):
    _, cast, _ = prepared
    _open(page, server)
    _sign_in(page, cast.county)
    page.locator("#stats-charts").click()
    stats = page.locator("#stats-page")
    expect(stats).to_have_attribute("data-state", "ready")
    charts = stats.locator("section.chart").evaluate_all("cs => cs.map(c => c.dataset.chart)")
    assert charts == ["rates", "townships", "units", "workers", "trend"]
    expect(stats.locator(".figure")).to_have_count(4)
    expect(stats.locator(".figure[data-figure=closure_rate] span")).to_have_text("办结率")
    # the trend and the rates are drawn as SVG images with Chinese labels (figures as tables)
    for key in ("rates", "trend"):
        img = stats.locator(f"section[data-chart={key}] .chart-svg img")
        expect(img).to_be_visible()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                               arg=img.element_handle())
        assert img.bounding_box()["width"] > 200
    trend = stats.locator("section[data-chart=trend] .chart-svg img").get_attribute("src")
    assert trend.startswith("data:image/svg+xml") and "办结率" in unquote(trend)
    _shot(page, "statistics-charts")
    # another trend length asks again
    stats.locator("#st-weeks").select_option("4")
    stats.locator("#st-form button[type=submit]").click()
    expect(stats).to_have_attribute("data-state", "ready")
    expect(stats.locator("section[data-chart=trend] h4")).to_contain_text("近 4 周")
    stats.locator("#st-close").click()
    expect(stats).to_be_hidden()
    assert _script_errors(page) == [] and page.blocked == []


FAKE_NOTIFICATION = """() => {
  window.__notes = []; window.__asked = 0;
  class FakeNotification {
    constructor(title, options) { window.__notes.push([title, (options || {}).body]); }
  }
  FakeNotification.permission = "default";
  FakeNotification.requestPermission = async () => {
    window.__asked += 1; FakeNotification.permission = "granted"; return "granted"; };
  window.Notification = FakeNotification;
}"""


def test_a_dispatcher_is_asked_once_for_desktop_notifications(browser, server, prepared,
                                                              district):
    layers, _ = district
    _, cast, _ = prepared
    context, pg = _new_page(browser)
    try:
        pg.add_init_script(f"({FAKE_NOTIFICATION})()")
        _open(pg, server)
        _sign_in(pg, cast.county)
        ask = pg.locator("#notify-ask")
        expect(ask).to_be_visible()
        expect(ask).to_contain_text("15 分钟内响应")
        _shot(pg, "notify-ask")
        ask.locator("#notify-allow").click()
        expect(ask).to_be_hidden()
        assert pg.evaluate("() => window.__asked") == 1
        # an urgent report comes in: the board's alert, and a desktop notification
        lon, lat = _inside(layers, cast.loop_grid)
        pg.evaluate("""async ([lon, lat]) => { await api('/incidents', {method: 'POST',
            body: JSON.stringify({lon, lat, category: 'S01', description: '电线掉落在人行道',
                                  source: 'hotline'})}); await refresh(); }""", [lon, lat])
        expect(pg.locator("#urgent")).to_be_visible()
        pg.wait_for_function("() => window.__notes.length > 0")
        _, body = pg.evaluate("() => window.__notes[0]")
        assert "紧急" in body
        # the question is not asked again in this browser
        pg.reload(wait_until="networkidle")  # the browser session keeps the sign-in
        pg.wait_for_selector("body[data-ready=true]")
        expect(pg.locator("#urgent")).to_be_visible()
        assert pg.locator("#notify-ask").count() == 0
        assert pg.evaluate("() => window.__asked") == 0
        assert _script_errors(pg) == [] and pg.blocked == []
    finally:
        context.close()
