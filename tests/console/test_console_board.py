"""The whole board in Chromium: more incidents than a page, every state counted, urgent alerts.

A server of its own (the shared one of test_console keeps its short list): the cast of
test_console plus 130 more reports in township A, two at one point (a duplicate), so
that the board has two pages and the incidents of every test here are known.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path

import pytest

from gridgis import Layers
from gridgis.dispatch import Dispatcher
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    SECRET,
    Cast,
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
)

MORE = 130


def _more(layers: Layers, path: Path, cast: Cast) -> tuple[str, str]:
    """130 reports over township A's grids; the last two at one point (a duplicate)."""
    store = SQLiteStore(path)
    try:
        desk = Dispatcher(layers, store)
        county = cast.people[cast.county]
        grids = layers.grids[layers.grids["community_code"].str.startswith(cast.township)]
        codes = list(grids["code"])
        for i in range(MORE - 2):
            lon, lat = _inside(layers, codes[i % len(codes)])
            desk.report(lon=lon + 0.00001 * (i // len(codes)), lat=lat, category="E02",
                        description=f"垃圾满溢第{i}处", source="hotline", by=county)
        lon, lat = _inside(layers, codes[-1])
        first, _ = desk.report(lon=lon + 0.0001, lat=lat, category="D01",
                               description="路灯不亮", source="hotline", by=county)
        second, _ = desk.report(lon=lon + 0.0001, lat=lat, category="D01",
                                description="路灯不亮（重复）", source="app", by=county)
        assert first["incident_id"] in second["duplicate_of"]
        # three reports of three days ago in township B, never accepted: overdue (red)
        past = Dispatcher(layers, store, clock=lambda: dt.datetime.now(dt.UTC).replace(
            tzinfo=None) + dt.timedelta(hours=8) - dt.timedelta(days=3))
        b_grids = layers.grids[layers.grids["community_code"].str.startswith(
            cast.other_township)]["code"]
        for i, code in enumerate(list(b_grids)[:3]):
            lon, lat = _inside(layers, code)
            past.report(lon=lon, lat=lat, category="E02", description=f"积存垃圾未清运{i}",
                        source="hotline", by=county)
        return first["incident_id"], second["incident_id"]
    finally:
        store.close()


@pytest.fixture(scope="module")
def board(district, tmp_path_factory):
    layers, gpkg = district
    where = tmp_path_factory.mktemp("board")
    cast = _prepare(layers, where / "board.sqlite")
    duplicate = _more(layers, where / "board.sqlite", cast)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "board.sqlite", where / "server.log") as base:
            yield base, cast, duplicate


@pytest.fixture
def page(browser, board):
    context, pg = _new_page(browser)
    yield pg
    context.close()


def _api(pg, path):
    return pg.evaluate("(p) => api(p)", path)


def _listed_ids(pg) -> list[str]:
    return pg.eval_on_selector_all("#list li", "lis => lis.map(li => li.dataset.id)")


def test_the_pager_reaches_every_incident_and_every_state_is_counted(page, board):
    base, cast, _ = board
    _open(page, base)
    _sign_in(page, cast.county)
    open_all = _api(page, "/incidents?status=reported,accepted,dispatched,in_progress,"
                          "resolved,reopened,verified,shelved&limit=1000")
    assert open_all["matched"] > 100
    expect(page.locator("#matched")).to_contain_text(f"共 {open_all['matched']} 件")
    first = _listed_ids(page)
    assert len(first) == 100
    expect(page.locator("#pager")).to_be_visible()
    expect(page.locator("#page-at")).to_contain_text("第 1 / 2 页")
    page.locator("#page-next").click()
    expect(page.locator("#page-at")).to_contain_text("第 2 / 2 页")
    second = _listed_ids(page)
    assert len(second) == open_all["matched"] - 100
    assert set(first) | set(second) == {i["incident_id"] for i in open_all["items"]}
    assert not set(first) & set(second)
    # a counter for every state, shelved and closed included, each the service's count
    states = ["reported", "accepted", "dispatched", "in_progress", "resolved", "reopened",
              "verified", "shelved", "closed", "rejected"]
    everything = _api(page, "/incidents?limit=1")["matched"]
    shown = {}
    for st in states:
        b = page.locator(f"#states .state[data-status={st}] b")
        expect(b).to_have_text(str(_api(page, f"/incidents?status={st}&limit=1")["matched"]))
        shown[st] = int(b.inner_text())
    assert sum(shown.values()) == everything
    expect(page.locator("#states .state[data-status=shelved]")).to_contain_text("挂账")
    # the lights add up to the open matters (挂账 carries no light: its own counter)
    lights = sum(int(page.locator(f"#n-{c}").inner_text())
                 for c in ("red", "yellow", "green", "none"))
    assert lights == open_all["matched"]
    # a state's counter filters the board by it
    page.locator("#states .state[data-status=dispatched]").click()
    expect(page.locator("#list li").first).to_have_attribute("data-status", "dispatched")
    assert {li for li in page.eval_on_selector_all(
        "#list li", "lis => lis.map(li => li.dataset.status)")} == {"dispatched"}
    _shot(page, "board-paged")
    assert _script_errors(page) == [] and page.blocked == []


def test_a_new_urgent_report_raises_the_alert(page, board, district):
    layers, _ = district
    base, cast, _ = board
    _open(page, base)
    _sign_in(page, cast.county)
    expect(page.locator("#urgent")).to_be_hidden()
    lon, lat = _inside(layers, cast.loop_grid)
    inc = page.evaluate("""([lon, lat]) => api("/incidents", {method: "POST",
        body: JSON.stringify({lon, lat, category: "S01", source: "hotline",
                              description: "电线掉落在人行道上"})})""", [lon, lat])
    assert inc["priority"] == "urgent"
    page.evaluate("refresh()")
    alert = page.locator("#urgent")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("紧急上报")
    assert page.evaluate("(id) => state.seenUrgent.has(id)", inc["incident_id"])
    _shot(page, "urgent-alert")
    page.locator("#urgent-open").click()
    expect(page.locator("#panel-body")).to_have_attribute("data-id", inc["incident_id"])
    assert page.locator("#f-status").input_value() == "reported"
    # seen once: the next refresh does not raise it again
    page.evaluate("refresh()")
    expect(alert).to_be_hidden()
    assert _script_errors(page) == [] and page.blocked == []


def test_rows_by_keyboard_and_the_map_follows(page, board):
    base, cast, _ = board
    _open(page, base)
    _sign_in(page, cast.county)
    rows = _listed_ids(page)
    page.locator("#list li").first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.id") == rows[2]
    page.keyboard.press("Enter")
    expect(page.locator("#panel-body")).to_have_attribute("data-id", rows[2])
    # opened: the map zooms to it and rings it
    inc = _api(page, f"/incidents/{rows[2]}")
    assert page.evaluate("map.getZoom()") >= 16
    assert page.evaluate(f"map.getBounds().contains([{inc['lat']}, {inc['lon']}])")
    ring = page.evaluate("highlight.getLayers().map(l => [l.getLatLng().lat, l.getLatLng().lng])")
    assert ring == [[pytest.approx(inc["lat"]), pytest.approx(inc["lon"])]]
    # the township filter moves the map to that township
    page.locator("#panel-close").click()
    page.locator("#f-township").select_option(cast.other_township)
    centre = page.evaluate("(() => { const c = map.getCenter(); return [c.lat, c.lng]; })()")
    inside = page.evaluate("""([code, lat, lng]) => layers.townships.getLayers()
        .find((l) => l.feature.properties.code === code).getBounds().contains([lat, lng])""",
                           [cast.other_township, *centre])
    assert inside
    assert _script_errors(page) == [] and page.blocked == []


def test_units_by_name_duplicates_as_links_and_the_service_clock(browser, board):
    base, cast, (first, second) = board
    # the browser's own clock is three years ahead: the header must show the service's
    context, page = _new_page(browser)
    page.add_init_script("""(() => { const Real = Date, skew = 3 * 365 * 86400000;
        class Skewed extends Real { constructor(...a) { if (a.length) super(...a);
            else super(Real.now() + skew); } static now() { return Real.now() + skew; } }
        window.Date = Skewed; })()""")
    try:
        _open(page, base)
        _sign_in(page, cast.county)
        with urllib.request.urlopen(f"{base}/clock") as r:
            service = dt.datetime.fromisoformat(json.load(r)["now"]).replace(tzinfo=None)
        page.wait_for_function("state.clockOffset < -1000")
        shown = dt.datetime.strptime(page.locator("#clock").inner_text().strip(),
                                     "%Y/%m/%d %H:%M:%S")
        assert abs((shown - service).total_seconds()) < 120
        page.locator("#f-search").fill(cast.dispatched_b)
        page.locator("#f-search").press("Enter")
        expect(page.locator("#panel-body")).to_have_attribute("data-id", cast.dispatched_b)
        unit = page.locator("#p-unit")
        unit_id = unit.get_attribute("data-unit")
        name = page.evaluate("(id) => state.units[id]", unit_id)
        assert name and name != unit_id
        expect(unit).to_have_text(name)
        expect(page.locator(".timeline li[data-action=dispatch]")).to_contain_text(name)
        # a duplicate names the first report as a link that opens it
        page.locator("#f-search").fill(second)
        page.locator("#f-search").press("Enter")
        expect(page.locator("#panel-body")).to_have_attribute("data-id", second)
        page.locator(f"#p-duplicates a[data-open='{first}']").click()
        expect(page.locator("#panel-body")).to_have_attribute("data-id", first)
        assert _script_errors(page) == [] and page.blocked == []
    finally:
        context.close()


def test_the_report_form_starts_without_a_category_and_offers_its_kinds(page, board,
                                                                        district):
    layers, _ = district
    base, cast, _ = board
    _open(page, base)
    _sign_in(page, cast.county)
    lon, lat = _inside(layers, cast.loop_grid)
    page.evaluate("([lat, lon]) => map.setView([lat, lon], 17, {animate: false})", [lat, lon])
    xy = page.evaluate("""([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]);
        const r = document.getElementById("map").getBoundingClientRect();
        return [p.x + r.left + 25, p.y + r.top + 25]; }""", [lat, lon])
    page.mouse.click(*xy)
    form = page.locator(".leaflet-popup-content form.report")
    expect(form).to_be_visible()
    assert form.locator("select[name=category]").input_value() == ""
    assert form.locator(".units-near").count() == 0
    form.locator("select[name=category]").select_option("S01")  # 电线掉落: the power supply
    rows = form.locator(".units-near tr")
    expect(rows.first).to_be_visible()
    kinds = set(rows.evaluate_all("rs => rs.map(r => r.dataset.kind)"))
    assert kinds == {"power_supply"}
    expect(form.locator(".units-near")).to_contain_text("供电所")
    _shot(page, "report-form-kinds")
    assert _script_errors(page) == [] and page.blocked == []


def test_the_list_exports_and_an_incident_prints_as_a_case_sheet(page, board):
    base, cast, _ = board
    _open(page, base)
    _sign_in(page, cast.county)
    page.locator("#f-township").select_option(cast.township)
    expect(page.locator("#list li").first).to_have_attribute("data-township", cast.township)
    matched = _api(page, "/incidents?status=reported,accepted,dispatched,in_progress,resolved,"
                         f"reopened,verified,shelved&township={cast.township}&limit=1")["matched"]
    with page.expect_download() as got:
        page.locator("#export-csv").click()
    download = got.value
    assert download.suggested_filename == "事件列表.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("事件编号,类别,状态")
    assert len(lines) - 1 == matched
    with page.expect_download() as got:
        page.locator("#export-xlsx").click()
    assert Path(got.value.path()).read_bytes()[:2] == b"PK"  # a zip: the xlsx
    # the case sheet: the print button prints the panel alone
    page.evaluate("window.print = () => { window.printed = true; }")
    page.locator("#list li").first.click()
    page.locator("#print-sheet").click()
    assert page.evaluate("window.printed") is True
    expect(page.locator("#panel .print-at")).to_contain_text("打印时间")
    page.emulate_media(media="print")
    expect(page.locator("#map")).to_be_hidden()
    expect(page.locator("#list")).to_be_hidden()
    expect(page.locator("#panel h2.print-only")).to_have_text("案件处置单")
    expect(page.locator("#p-status")).to_be_visible()
    expect(page.locator("#panel .actions")).to_be_hidden()
    page.pdf(path=str(Path(__file__).resolve().parents[2] / "artifacts" / "case-sheet.pdf"))
    assert _script_errors(page) == [] and page.blocked == []


def test_the_county_supervises_overdue_matters_in_bulk(page, board):
    base, cast, _ = board
    _open(page, base)
    _sign_in(page, cast.county)
    red = _api(page, "/incidents?status=reported,accepted,dispatched,in_progress,resolved,"
                     "reopened,verified,shelved&light=red&limit=1000")["items"]
    assert len(red) >= 3
    page.locator("#supervision-view").click()
    expect(page.locator("#panel-body")).to_have_attribute("data-view", "supervision")
    per_township: dict[str, int] = {}
    for i in red:
        per_township[i["township_name"]] = per_township.get(i["township_name"], 0) + 1
    for town, n in per_township.items():
        row = page.locator(f"table.sup-counts tr[data-name='{town}']").first
        expect(row.locator("td.red-n")).to_have_text(str(n))
    boxes = page.locator("#sup-list input:checked")
    expect(boxes).to_have_count(len(red))
    expect(page.locator("#sup-bulk")).to_have_text(f"批量督办（{len(red)} 件）")
    _shot(page, "supervision")
    page.locator("#sup-bulk").click()
    expect(page.locator("#panel-body .notice")).to_have_text(f"已督办 {len(red)} 件")
    expect(page.locator("#sup-list input:checked")).to_have_count(0)
    for i in red:
        assert _api(page, f"/incidents/{i['incident_id']}")["supervisions"] == 1
    assert _script_errors(page) == [] and page.blocked == []
