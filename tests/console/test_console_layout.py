"""The console at a phone's, a tablet's and a desktop's size (390×844, 768×1024, 1920×1080).

On a phone (≤ 440 px) the map and the board are two tabs, and the incident panel and the
report form cover the screen; wider, both show at once. Every size starts without a script
error (a hidden map once gave ``Invalid LatLng object: (NaN, NaN)``) and never scrolls
sideways. Screenshots go to artifacts/.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import pytest

from tests.console.test_console import (  # noqa: F401 - fixtures
    _inside,
    _new_page,
    _open,
    _open_incident,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    prepared,
    server,
)

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "desktop": (1920, 1080)}


@pytest.fixture(params=list(SIZES))
def sized(request, browser, server):
    width, height = SIZES[request.param]
    context, pg = _new_page(browser, {"width": width, "height": height})
    pg.size_name, pg.width, pg.height = request.param, width, height
    yield pg
    context.close()


def _box(pg, selector):
    return pg.locator(selector).bounding_box()


def _map_view_is_a_number(pg) -> bool:
    return pg.evaluate("""() => { const c = map.getCenter(), z = map.getZoom();
        return Number.isFinite(c.lat) && Number.isFinite(c.lng) && Number.isFinite(z); }""")


def test_every_size_starts_cleanly_and_fits(sized, server, cast):
    pg = sized
    _open(pg, server)
    _sign_in(pg, cast.township_head)
    expect(pg.locator("#list li").first).to_be_attached()
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.width
    if pg.size_name == "phone":
        # the board's tab first: the list fills the width, the map waits hidden
        expect(pg.locator("#tabs")).to_be_visible()
        expect(pg.locator("#list li").first).to_be_visible()
        expect(pg.locator("#map")).to_be_hidden()
        assert _box(pg, "#side")["width"] == pg.width
        _shot(pg, f"{pg.size_name}-board")
        pg.locator("#tab-map").click()
        expect(pg.locator("#map")).to_be_visible()
        expect(pg.locator("#side")).to_be_hidden()
        box = _box(pg, "#map")
        assert box["width"] == pg.width and box["height"] > pg.height / 2
        expect(pg.locator("#tab-map")).to_have_attribute("aria-selected", "true")
    else:
        expect(pg.locator("#tabs")).to_be_hidden()
        for part in ("#map", "#list"):
            box = _box(pg, part)
            assert box["width"] > 300 and box["x"] + box["width"] <= pg.width
        assert _box(pg, "#map")["height"] > 300
    assert _map_view_is_a_number(pg)
    # the map shows the person's township: its grids are drawn inside the visible map
    drawn = pg.evaluate("""() => { const b = map.getBounds(); return layers.grids.getLayers()
        .filter((l) => b.intersects(l.getBounds())).length; }""")
    assert drawn > 0
    _shot(pg, f"{pg.size_name}-map")
    assert _script_errors(pg) == [] and pg.blocked == []


def test_the_panel_covers_a_phone_and_sits_beside_the_map_on_a_desktop(sized, server, cast):
    pg = sized
    _open(pg, server)
    _sign_in(pg, cast.township_head)
    _open_incident(pg, cast.elsewhere_a)
    panel = _box(pg, "#panel")
    if pg.size_name == "phone":
        assert panel["x"] == 0 and panel["width"] == pg.width and panel["height"] == pg.height
    else:
        expect(pg.locator("#map")).to_be_visible()
    expect(pg.locator("#panel button[data-action=accept]")).to_be_in_viewport()
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.width
    _shot(pg, f"{pg.size_name}-incident")
    assert _script_errors(pg) == [] and pg.blocked == []


def test_a_grid_worker_reports_from_the_phones_map_full_screen(browser, server, cast, district):
    layers, _ = district
    lon, lat = _inside(layers, cast.grid)
    context, pg = _new_page(browser, {"width": 390, "height": 844})
    try:
        _open(pg, server)
        _sign_in(pg, cast.worker)
        pg.locator("#tab-map").click()
        expect(pg.locator("#map")).to_be_visible()
        pg.evaluate("([lat, lon]) => map.setView([lat, lon], 17, {animate: false})", [lat, lon])
        xy = pg.evaluate("""([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]);
            const r = document.getElementById("map").getBoundingClientRect();
            return [p.x + r.left, p.y + r.top]; }""", [lat, lon])
        pg.mouse.click(xy[0] + 18, xy[1] + 18)  # beside the markers there (about 20 m off)
        sheet = pg.locator("#sheet")
        expect(sheet.locator("form.report")).to_be_visible()
        box = _box(pg, "#sheet")
        assert box["width"] == 390 and box["height"] == 844
        expect(pg.locator(".leaflet-popup")).to_have_count(0)
        _shot(pg, "phone-report-form")
        sheet.locator("select[name=category]").select_option("E02")
        sheet.locator("textarea[name=description]").fill("手机上报：垃圾未清运")
        sheet.locator("button[type=submit]").click()
        expect(pg.locator("#panel")).to_be_visible()
        expect(sheet).to_be_hidden()
        expect(pg.locator("#p-status")).to_have_attribute("data-status", "reported")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        assert _script_errors(pg) == [] and pg.blocked == []
    finally:
        context.close()


def test_clicking_a_marker_opens_its_panel_and_no_report_form(browser, server, cast):
    context, pg = _new_page(browser, {"width": 1400, "height": 900})
    try:
        _open(pg, server)
        _sign_in(pg, cast.township_head)
        marker = pg.evaluate_handle("""(id) => layers.incidents.getLayers()
            .find((m) => m.options.incidentId === id)""", cast.elsewhere_a)
        xy = pg.evaluate("""(m) => { map.setView(m.getLatLng(), 17, {animate: false});
            const p = map.latLngToContainerPoint(m.getLatLng());
            const r = document.getElementById("map").getBoundingClientRect();
            return [p.x + r.left, p.y + r.top]; }""", marker)
        pg.mouse.click(*xy)
        expect(pg.locator("#panel-body")).to_have_attribute("data-id", cast.elsewhere_a)
        expect(pg.locator(".leaflet-popup")).to_have_count(0)
        assert _script_errors(pg) == [] and pg.blocked == []
    finally:
        context.close()
