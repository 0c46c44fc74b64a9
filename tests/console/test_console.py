"""The dispatcher console in real headless Chromium, with every request off 127.0.0.1 blocked."""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import serving

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WAIT_MS = 120_000
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def server(small_gpkg, tmp_path_factory):
    where = tmp_path_factory.mktemp("console")
    with serving(small_gpkg, where / "console.sqlite", where / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "chromium must be installed for the console tests"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    # Every wait below is for a condition; this bounds each one generously, so that a
    # loaded machine (or kernels compiling in the server) slows the test but never fails it.
    pg.set_default_timeout(WAIT_MS)
    pg.blocked = []
    pg.errors = []

    def only_loopback(route):
        host = urlparse(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            pg.blocked.append(route.request.url)
            route.abort()

    pg.route("**/*", only_loopback)
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def _shot(pg, name):
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"console-{name}.png"))


def _click_lonlat(pg, lon, lat):
    xy = pg.evaluate("""([lat, lon]) => {
        const p = map.latLngToContainerPoint([lat, lon]);
        const r = document.getElementById("map").getBoundingClientRect();
        return [p.x + r.left, p.y + r.top];
    }""", [lat, lon])
    pg.mouse.click(*xy)


def test_console_loads_offline_and_draws_the_district(page, server, small_layers):
    page.goto(server + "/", wait_until="networkidle")
    page.wait_for_selector("body[data-ready=true]")
    assert page.blocked == [] and page.errors == []
    drawn = page.locator("path.leaflet-interactive").count()
    assert drawn >= len(small_layers.grids)
    options = page.locator("#f-township option").all_inner_texts()
    assert set(small_layers.townships["name"]) <= set(options)
    # the clock shows China Standard Time (the service's times), not the browser's zone
    import datetime as dt

    clock = page.locator("#clock").inner_text()
    cst = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    shown = dt.datetime.strptime(clock.strip(), "%Y/%m/%d %H:%M:%S")
    assert abs((shown - cst.replace(tzinfo=None)).total_seconds()) < 120, clock
    _shot(page, "loaded")


def test_click_locates_report_appears_and_transition_updates(page, server, small_layers):
    page.goto(server + "/", wait_until="networkidle")
    page.wait_for_selector("body[data-ready=true]")
    grid = small_layers.grids.iloc[len(small_layers.grids) // 3]
    p = grid.geometry.representative_point()
    # the click lands where the map shows the point only once the view has settled
    page.evaluate("""([lat, lon, limit]) => new Promise((done, fail) => {
        map.once("moveend", () => done());
        setTimeout(() => fail(new Error("the map view did not settle")), limit);
        map.setView([lat, lon], 16, {animate: false});
    })""", [p.y, p.x, WAIT_MS])
    _click_lonlat(page, p.x, p.y)
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".locate-result").wait_for()
    assert grid["name"] in popup.inner_text()
    assert grid["code"] in popup.inner_text()
    _shot(page, "located")
    popup.locator("select[name=category]").select_option("E02")
    popup.locator("textarea[name=description]").fill("路边垃圾堆放未清运")
    popup.locator("button[type=submit]").click()
    panel = page.locator("#panel")
    panel.wait_for(state="visible")
    assert page.locator("#p-status").get_attribute("data-status") == "reported"
    item = page.locator("#list li").filter(has_text="垃圾堆放").first
    assert item.get_attribute("data-light") == "green"
    _shot(page, "reported")
    panel.locator("button[data-action=accept]").click()
    # a selector, not a script string: the page's CSP forbids evaluating strings
    page.locator("#p-status[data-status=accepted]").wait_for(state="attached")
    assert panel.locator(".timeline li").count() == 2
    assert page.blocked == [] and page.errors == []
    _shot(page, "accepted")
