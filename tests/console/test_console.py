"""The dispatcher console in real headless Chromium, with every request off 127.0.0.1 blocked.

The server runs on a district of two townships whose store holds, before it
starts, a roster of staff with passwords (one person per grid, community,
township and unit, the county, an analyst and an admin) and a few incidents
placed by hand: so who sees what, and which buttons, is known here without
asking the service.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from gridgis import Layers, sample_district, write_layers
from gridgis.attachments.service import upload
from gridgis.dispatch import Dispatcher
from gridgis.people import StaffMember
from gridgis.people.passwords import hash_password
from gridgis.store import SQLiteStore
from tests.attachments.media import jpeg
from tests.conftest import serving
from tests.service.conftest import district_roster

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WAIT_MS = 120_000
PASSWORD = "gridgis2026"
# the server's signing key, so that a test can hand the console a token that has expired
SECRET = "console-tests-signing-key-0123456789abcdef"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (make test installs it)")


@dataclass(frozen=True)
class Cast:
    """The people the tests sign in as, and the incidents prepared for them."""

    people: dict[str, StaffMember]
    township: str            # township A (the grid worker's)
    other_township: str      # township B
    grid: str                # the grid worker's grid, in A
    county: str
    township_head: str       # jd<A>
    worker: str              # wg<grid>
    unit_staff: str          # staff of the unit holding the dispatched incident in B
    resolved: str            # in the worker's grid, resolved by its unit: for the worker to verify
    verified: str            # in the worker's grid, verified: for the community to call back
    reported: str            # in the worker's grid, just reported
    elsewhere_a: str         # reported, another community of A
    in_b: str                # reported, in B
    dispatched_b: str        # dispatched to ``unit_staff``'s unit, in B
    loop_grid: str           # a grid of A (not the worker's) the loop test reports in
    foreign_grid: str        # a grid of B (outside the worker's community)

    @property
    def in_a(self) -> set[str]:
        return {self.resolved, self.reported, self.elsewhere_a}


def _inside(layers: Layers, code: str) -> tuple[float, float]:
    p = layers.grids.set_index("code").loc[code].geometry.representative_point()
    return p.x, p.y


def _prepare(layers: Layers, path: Path) -> Cast:
    """Write the roster (passwords hashed once) and the incidents into the store at ``path``."""
    roster = district_roster(layers)
    people = {p.staff_id: p for p in roster}
    store = SQLiteStore(path)
    try:
        digest = hash_password(PASSWORD)
        for person in roster:
            store.staff.save(person, password_hash=digest)
        towns = sorted(layers.townships["code"])
        a, b = towns[0], towns[1]
        grids = layers.grids.sort_values("code")
        in_a = grids[grids["community_code"].str.startswith(a)]
        in_b = grids[grids["community_code"].str.startswith(b)]
        grid = in_a.iloc[0]
        other_a = in_a[in_a["community_code"] != grid["community_code"]]
        county = next(p for p in roster if p.role == "command_centre")
        desk = Dispatcher(layers, store)

        def report(code: str, text: str) -> dict:
            lon, lat = _inside(layers, code)
            record, _ = desk.report(lon=lon, lat=lat, category="E02", description=text,
                                    source="grid_worker", by=county)
            assert record["grid_code"] == code
            return record

        def move(record: dict, *steps: tuple[str, StaffMember]) -> dict:
            for action, person in steps:
                extra = {"unit_id": record["candidate_units"][0]["unit_id"]} \
                    if action == "dispatch" else {}
                if action == "verify":  # on site, at the incident's point, with a photo
                    extra = {"lon": record["lon"], "lat": record["lat"]}
                    upload(desk, record["incident_id"], jpeg((320, 240)), stage="verify",
                           by=person)
                record = desk.transition(record["incident_id"], action=action, by=person,
                                         **extra)
            return record

        resolved = report(grid["code"], "井盖缺失待核查")
        resolved = move(resolved, ("accept", county), ("dispatch", county))
        unit = people[f"dw{resolved['unit_id']}"]
        resolved = move(resolved, ("start", unit), ("resolve", unit))
        assert resolved["status"] == "resolved"
        verified = report(grid["code"], "窨井盖破损")
        verified = move(verified, ("accept", county), ("dispatch", county))
        fixer = people[f"dw{verified['unit_id']}"]
        verified = move(verified, ("start", fixer), ("resolve", fixer),
                        ("verify", people[f"wg{grid['code']}"]))
        assert verified["status"] == "verified"
        reported = report(grid["code"], "路灯不亮")
        elsewhere = report(other_a.iloc[0]["code"], "占道经营")
        b_reported = report(in_b.iloc[0]["code"], "垃圾满溢")
        b_dispatched = move(report(in_b.iloc[-1]["code"], "违章搭建"), ("accept", county),
                            ("dispatch", county))
        assert b_dispatched["status"] == "dispatched"
        return Cast(
            people=people, township=a, other_township=b, grid=grid["code"],
            county=county.staff_id, township_head=f"jd{a}", worker=f"wg{grid['code']}",
            unit_staff=f"dw{b_dispatched['unit_id']}", resolved=resolved["incident_id"],
            verified=verified["incident_id"],
            reported=reported["incident_id"], elsewhere_a=elsewhere["incident_id"],
            in_b=b_reported["incident_id"], dispatched_b=b_dispatched["incident_id"],
            loop_grid=other_a.iloc[-1]["code"], foreign_grid=in_b.iloc[len(in_b) // 2]["code"])
    finally:
        store.close()


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> tuple[Layers, Path]:
    """A sample district of two townships (the small one has only one)."""
    layers = sample_district(scale=0.15, seed=7)
    assert len(layers.townships) >= 2
    return layers, write_layers(layers, tmp_path_factory.mktemp("district2") / "two.gpkg")


@pytest.fixture(scope="module")
def prepared(district, tmp_path_factory) -> tuple[Path, Cast]:
    where = tmp_path_factory.mktemp("console")
    layers, _ = district
    return where, _prepare(layers, where / "console.sqlite")


@pytest.fixture(scope="module")
def server(district, prepared):
    (where, _), (_, gpkg) = prepared, district
    with pytest.MonkeyPatch.context() as env:
        # every test signs in: the per-client limit is for people, not for this module
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "console.sqlite", where / "server.log") as base:
            yield base


@pytest.fixture(scope="module")
def cast(prepared) -> Cast:
    return prepared[1]


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "chromium must be installed for the console tests"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def _new_page(browser, viewport=None, **options):
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900},
                                  locale="zh-CN", **options)
    pg = context.new_page()
    # Every wait below is for a condition; this bounds each one generously, so that a
    # loaded machine (or kernels compiling in the server) slows the test but never fails it.
    pg.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
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
    return context, pg


@pytest.fixture
def page(browser, server):
    context, pg = _new_page(browser)
    yield pg
    context.close()


@pytest.fixture
def phone(browser, server):
    context, pg = _new_page(browser, {"width": 390, "height": 844})
    yield pg
    context.close()


def _script_errors(pg) -> list[str]:
    """Errors of the page's own code (the browser also logs each 4xx answer it was given)."""
    return [e for e in pg.errors if "Failed to load resource" not in e]


def _shot(pg, name):
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"console-{name}.png"))


def _open(pg, server):
    pg.goto(server + "/", wait_until="networkidle")
    expect(pg.locator("#signin")).to_be_visible()


def _fill_sign_in(pg, staff_id, password=PASSWORD):
    form = pg.locator("#signin-form")
    form.locator("input[name=username]").fill(staff_id)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def _sign_in(pg, staff_id):
    _fill_sign_in(pg, staff_id)
    pg.wait_for_selector("body[data-ready=true]")
    expect(pg.locator("#signin")).to_be_hidden()


def _listed(pg) -> list[dict[str, str]]:
    return pg.eval_on_selector_all("#list li", "lis => lis.map(li => ({...li.dataset}))")


def _open_incident(pg, incident_id):
    # the panel covers the list: close it to choose another incident
    if pg.locator("#panel").is_visible():
        pg.locator("#panel-close").click()
    pg.locator(f"#list li[data-id='{incident_id}']").click()
    expect(pg.locator("#panel-body")).to_have_attribute("data-id", incident_id)
    expect(pg.locator("#panel")).to_be_visible()


def _buttons(pg) -> list[str]:
    return pg.locator("#panel .actions button[data-action]").evaluate_all(
        "bs => bs.map(b => b.dataset.action)")


def _settle_at(pg, lon, lat):
    # the click lands where the map shows the point only once the view has settled
    pg.evaluate("""([lat, lon, limit]) => new Promise((done, fail) => {
        map.stop();  // no animation of the console's left to move the view afterwards
        map.once("moveend", () => done());
        setTimeout(() => fail(new Error("the map view did not settle")), limit);
        map.setView([lat, lon], 16, {animate: false});
    })""", [lat, lon, WAIT_MS])
    xy = pg.evaluate("""([lat, lon]) => {
        const p = map.latLngToContainerPoint([lat, lon]);
        const r = document.getElementById("map").getBoundingClientRect();
        return [p.x + r.left, p.y + r.top];
    }""", [lat, lon])
    pg.mouse.click(*xy)


def test_console_loads_offline_and_draws_the_district(page, server, district, cast):
    layers, _ = district
    _open(page, server)
    # nothing of the board before signing in, and no token kept anywhere
    assert page.get_attribute("body", "data-ready") is None
    _shot(page, "signin")
    _sign_in(page, cast.county)
    assert page.blocked == [] and page.errors == []
    drawn = page.locator("path.leaflet-interactive").count()
    assert drawn >= len(layers.grids)
    options = page.locator("#f-township option").all_inner_texts()
    assert set(layers.townships["name"]) <= set(options)
    who = page.locator("#who")
    expect(who).to_be_visible()
    expect(who).to_contain_text(cast.people[cast.county].name)
    expect(who).to_contain_text("县(区)综治中心")
    expect(who.locator("#sign-out")).to_have_text("退出登录")
    # the county runs the supervision sweep
    expect(page.locator("#supervise")).to_be_visible()
    page.locator("#supervise").click()
    expect(page.locator("#board-message")).to_contain_text("督办扫描完成")
    listed = {li["id"] for li in _listed(page)}
    assert cast.in_a | {cast.in_b, cast.dispatched_b} <= listed
    # the token lives in this tab's session only
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("sessionStorage.getItem('gridgis.token')")
    # the clock shows China Standard Time (the service's times), not the browser's zone
    clock = page.locator("#clock").inner_text()
    cst = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    shown = dt.datetime.strptime(clock.strip(), "%Y/%m/%d %H:%M:%S")
    assert abs((shown - cst.replace(tzinfo=None)).total_seconds()) < 120, clock
    assert page.errors == []
    _shot(page, "loaded")


def test_wrong_password_shows_the_reason(page, server, cast):
    _open(page, server)
    _fill_sign_in(page, cast.township_head, "not-the-password-1")
    error = page.locator("#signin-error")
    expect(error).to_contain_text("工号或密码不对")
    expect(page.locator("#signin")).to_be_visible()
    assert page.get_attribute("body", "data-ready") is None
    assert page.evaluate("sessionStorage.getItem('gridgis.token')") is None
    # the right password then signs in, and the reason goes
    _sign_in(page, cast.township_head)
    expect(error).to_be_hidden()
    assert _script_errors(page) == [] and page.blocked == []


def test_township_dispatcher_sees_their_township_and_dispatcher_buttons(page, server, cast,
                                                                          district):
    layers, _ = district
    _open(page, server)
    _sign_in(page, cast.township_head)
    listed = _listed(page)
    assert {li["township"] for li in listed} == {cast.township}
    ids = {li["id"] for li in listed}
    assert cast.in_a <= ids
    assert not {cast.in_b, cast.dispatched_b} & ids
    # the filter offers their own township only; the sweep is the county's
    names = layers.townships.set_index("code")["name"]
    options = page.locator("#f-township option").all_inner_texts()
    assert names[cast.township] in options and names[cast.other_township] not in options
    expect(page.locator("#supervise")).to_be_hidden()
    expect(page.locator("#who-area")).to_contain_text(names[cast.township])
    expect(page.locator("#who-title")).to_have_text("乡镇(街道)综治中心")
    # a fresh report held by its community: the township may accept or reject it, no more
    # (escalating and whistling are for the community that holds it)
    _open_incident(page, cast.elsewhere_a)
    assert sorted(_buttons(page)) == ["accept", "reject"]
    expect(page.locator("#panel button[data-action=accept]")).to_contain_text("受理")
    # a resolved matter is for the grid worker to verify, not for the township
    _open_incident(page, cast.resolved)
    assert "verify" not in _buttons(page)
    assert page.errors == [] and page.blocked == []
    _shot(page, "township")


def test_grid_worker_sees_their_grid_and_verifies_resolved_matters(page, server, cast,
                                                                   district):
    layers, _ = district
    _open(page, server)
    _sign_in(page, cast.worker)
    listed = _listed(page)
    assert {li["grid"] for li in listed} == {cast.grid}
    assert {li["id"] for li in listed} >= {cast.resolved, cast.reported}
    assert cast.elsewhere_a not in {li["id"] for li in listed}
    grid_name = layers.grids.set_index("code").loc[cast.grid, "name"]
    expect(page.locator("#who-area")).to_contain_text(grid_name)
    expect(page.locator("#who-title")).to_have_text("网格员(网格长)")
    _open_incident(page, cast.resolved)
    buttons = _buttons(page)
    assert "verify" in buttons and "dispatch" not in buttons
    expect(page.locator("#panel button[data-action=verify]")).to_contain_text("核查")
    expect(page.locator("#panel button", has_text="派遣")).to_have_count(0)
    # a matter still with the community: nothing for the grid worker to press
    _open_incident(page, cast.reported)
    assert _buttons(page) == []
    expect(page.locator("#panel .no-actions")).to_be_visible()
    # verifying through the console is on site: the phone's position goes with it
    lon, lat = _inside(layers, cast.grid)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"longitude": lon, "latitude": lat})
    _open_incident(page, cast.resolved)
    page.locator("#panel button[data-action=verify]").click()
    # without a photo of the site the service refuses, and the panel says why
    expect(page.locator("#panel .actions .error")).to_contain_text("核查须先上传现场照片")
    assert page.locator("#a-photo-stage").input_value() == "verify"
    page.locator("#a-photo").set_input_files(files=[{
        "name": "site.jpg", "mimeType": "image/jpeg", "buffer": jpeg((640, 480))}])
    page.locator("#a-upload").click()
    expect(page.locator("#panel .photos img[data-stage=verify]")).to_have_count(1)
    expect(page.locator("#panel .photos img[data-stage=verify]")).to_have_js_property(
        "complete", True)
    assert page.locator("#panel .photos img").evaluate("i => i.naturalWidth") > 0
    page.locator("#panel button[data-action=verify]").click()
    expect(page.locator("#p-status")).to_have_attribute("data-status", "verified")
    expect(page.locator("#p-stage")).to_have_attribute("data-stage", "callback")
    expect(page.locator("#panel .timeline li").last).to_contain_text(cast.worker)
    assert _script_errors(page) == [] and page.blocked == []  # the refusal's 422 is logged
    _shot(page, "grid-worker")


def test_unit_staff_see_their_units_matters_and_its_buttons(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.unit_staff)
    ids = {li["id"] for li in _listed(page)}
    assert cast.dispatched_b in ids
    assert not (cast.in_a | {cast.in_b}) & ids
    _open_incident(page, cast.dispatched_b)
    assert sorted(_buttons(page)) == ["progress", "request_extension", "return", "start"]
    expect(page.locator("#panel button[data-action=start]")).to_contain_text("开始处置")
    expect(page.locator("#supervise")).to_be_hidden()
    assert page.errors == [] and page.blocked == []


def test_a_refusal_shows_the_servers_reason(page, server, cast, district):
    layers, _ = district
    _open(page, server)
    _sign_in(page, cast.worker)
    lon, lat = _inside(layers, cast.foreign_grid)
    _settle_at(page, lon, lat)
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".locate-result").wait_for()
    popup.locator("select[name=category]").select_option("E02")
    popup.locator("textarea[name=description]").fill("别处的事")
    popup.locator("button[type=submit]").click()
    # 403: the point lies outside the grid worker's jurisdiction, and the form says so
    expect(popup.locator(".error")).to_contain_text("不在您的辖区")
    assert _script_errors(page) == [] and page.blocked == []


def test_click_locates_report_appears_and_transition_updates(page, server, cast, district):
    layers, _ = district
    grid = layers.grids.set_index("code").loc[cast.loop_grid]
    _open(page, server)
    _sign_in(page, f"sq{grid['community_code']}")
    lon, lat = _inside(layers, cast.loop_grid)
    _settle_at(page, lon, lat)
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".locate-result").wait_for()
    assert grid["name"] in popup.inner_text()
    assert cast.loop_grid in popup.inner_text()
    _shot(page, "located")
    popup.locator("select[name=category]").select_option("E02")
    popup.locator("textarea[name=description]").fill("路边垃圾堆放未清运")
    popup.locator("details.reporter summary").click()
    popup.locator("input[name=reporter_name]").fill("欧阳娜娜")
    popup.locator("input[name=reporter_phone]").fill("13912345678")
    popup.locator("button[type=submit]").click()
    panel = page.locator("#panel")
    panel.wait_for(state="visible")
    assert page.locator("#p-status").get_attribute("data-status") == "reported"
    # the citizen's details, whole for the community (it calls back)
    expect(page.locator("#p-reporter")).to_have_text("欧阳娜娜 · 13912345678")
    item = page.locator("#list li").filter(has_text="垃圾堆放").first
    assert item.get_attribute("data-light") == "green"
    _shot(page, "reported")
    panel.locator("button[data-action=accept]").click()
    expect(page.locator("#p-status")).to_have_attribute("data-status", "accepted")
    assert panel.locator(".timeline li").count() == 2
    # the events name the signed-in person, never a name the page sent
    expect(panel.locator(".timeline li").last).to_contain_text(f"sq{grid['community_code']}")
    assert page.blocked == [] and page.errors == []
    _shot(page, "accepted")


def test_phone_signs_in_and_the_board_fits(phone, server, cast):
    _open(phone, server)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _sign_in(phone, cast.township_head)
    expect(phone.locator("#list li").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for part in ("#lights", "#filters", "#list", "#sign-out"):
        box = phone.locator(part).bounding_box()
        assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    _shot(phone, "phone-board")
    phone.locator("#tab-map").click()  # the map is the other tab, the whole width
    box = phone.locator("#map").bounding_box()
    assert box and box["width"] == 390
    phone.locator("#tab-board").click()
    _open_incident(phone, cast.elsewhere_a)
    accept = phone.locator("#panel button[data-action=accept]")
    expect(accept).to_be_visible()
    expect(accept).to_be_in_viewport()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.errors == [] and phone.blocked == []
    _shot(phone, "phone")


def test_sign_out_returns_to_the_form_and_a_reload_asks_again(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.township_head)
    page.locator("#sign-out").click()
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-notice")).to_contain_text("已退出登录")
    expect(page.locator("#who")).to_be_hidden()
    assert page.locator("#list li").count() == 0
    assert page.evaluate("sessionStorage.getItem('gridgis.token')") is None
    page.reload(wait_until="networkidle")
    expect(page.locator("#signin")).to_be_visible()
    assert page.get_attribute("body", "data-ready") is None
    assert page.locator("#list li").count() == 0
    assert page.errors == [] and page.blocked == []


def test_an_expired_token_asks_to_sign_in_and_keeps_the_place(page, server, cast):
    from api.auth import TokenIssuer

    _open(page, server)
    _sign_in(page, cast.township_head)
    page.locator("#f-category").select_option("E02")
    _open_incident(page, cast.elsewhere_a)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)
    stale = TokenIssuer(SECRET, minutes=5).issue(cast.people[cast.township_head], now=long_ago)
    page.evaluate("t => sessionStorage.setItem('gridgis.token', t)", stale)
    page.locator("#f-status").select_option("")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-notice")).to_contain_text("登录已过期")
    _sign_in(page, cast.township_head)
    # the same filters and the same incident as before
    expect(page.locator("#panel-body")).to_have_attribute("data-id", cast.elsewhere_a)
    assert page.locator("#f-category").input_value() == "E02"
    assert page.locator("#f-status").input_value() == ""
    # and the place outlives a reload of the tab (the session keeps it with the token)
    page.reload(wait_until="networkidle")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-body")).to_have_attribute("data-id", cast.elsewhere_a)
    assert page.locator("#f-category").input_value() == "E02"
    assert page.locator("#f-status").input_value() == ""
    assert _script_errors(page) == [] and page.blocked == []


def test_too_many_attempts_show_the_wait(browser, district, tmp_path, monkeypatch):
    _, gpkg = district
    monkeypatch.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1")
    with serving(gpkg, tmp_path / "empty.sqlite", tmp_path / "server.log") as base:
        context, pg = _new_page(browser)
        try:
            _open(pg, base)
            _fill_sign_in(pg, "nobody", "wrong-password-1")
            expect(pg.locator("#signin-error")).to_contain_text("工号或密码不对")
            _fill_sign_in(pg, "nobody", "wrong-password-2")
            expect(pg.locator("#signin-error")).to_contain_text("秒后再试")
            button = pg.locator("#signin-form button[type=submit]")
            expect(button).to_be_disabled()
            expect(button).to_contain_text("秒")
            assert _script_errors(pg) == [] and pg.blocked == []
        finally:
            context.close()


def test_console_names_are_the_librarys(page, server):
    from gridgis.dispatch.rules import ACTION_NAMES
    from gridgis.incidents.names import Outcome, Stage
    from gridgis.people.roles import ROLE_NAMES

    _open(page, server)
    assert page.evaluate("ACTION_ZH") == ACTION_NAMES
    from gridgis.categories import UNIT_KIND_NAMES

    assert page.evaluate("KIND_ZH") == UNIT_KIND_NAMES
    assert set(page.evaluate("STAGE_ZH")) == {s.value for s in Stage}
    assert set(page.evaluate("OUTCOME_ZH")) == {o.value for o in Outcome}
    assert page.evaluate("ROLE_ZH") == {r.value: zh for r, zh in ROLE_NAMES.items()}
    from gridgis.categories import PLATFORMS, PRIORITIES
    from gridgis.incidents.names import Level

    assert set(page.evaluate("PLATFORM_ZH")) == set(PLATFORMS)
    assert set(page.evaluate("PRIORITY_ZH")) == set(PRIORITIES)
    assert set(page.evaluate("LEVEL_ZH")) == {level.value for level in Level}


def test_the_community_whistles_and_the_department_reports_in(browser, server, cast):
    community = f"sq{cast.grid[:12]}"
    context, page = _new_page(browser)
    try:
        _open(page, server)
        _sign_in(page, community)
        _open_incident(page, cast.reported)
        assert "whistle" in _buttons(page) and "escalate" in _buttons(page)
        options = page.locator("#a-whistle option")
        unit = options.first.get_attribute("value")
        page.locator("#a-whistle").select_option([unit])
        page.locator("#a-note").fill("路灯线路涉及供电和市政，请到社区会商")
        page.locator("#panel button[data-action=whistle]").click()
        row = page.locator(f"#panel table.calls tr[data-unit='{unit}']")
        expect(row).to_contain_text("待报到")
        expect(page.locator("#p-status")).to_have_attribute("data-status", "reported")
        _shot(page, "whistle")
    finally:
        context.close()
    context, page = _new_page(browser)
    try:  # the department called in sees the matter and reports in
        _open(page, server)
        _sign_in(page, f"dw{unit}")
        assert cast.reported in {li["id"] for li in _listed(page)}
        _open_incident(page, cast.reported)
        assert _buttons(page) == ["report_in"]
        page.locator("#a-staff").fill("王工、李工")
        page.locator("#panel button[data-action=report_in]").click()
        row = page.locator(f"#panel table.calls tr[data-unit='{unit}']")
        expect(row).to_contain_text("已报到")
        expect(row).to_have_attribute("data-light", "none")
        assert _buttons(page) == []
        assert _script_errors(page) == [] and page.blocked == []
    finally:
        context.close()


def test_a_dissatisfied_call_back_reopens_the_matter(page, server, cast):
    _open(page, server)
    _sign_in(page, f"sq{cast.grid[:12]}")
    _open_incident(page, cast.verified)
    assert "callback" in _buttons(page)
    page.locator("#a-sat").select_option("2")
    page.locator("#panel button[data-action=callback]").click()
    expect(page.locator("#p-status")).to_have_attribute("data-status", "reopened")
    expect(page.locator("#p-callback")).to_contain_text("满意度 2")
    assert _script_errors(page) == [] and page.blocked == []


def test_the_township_reads_its_statistics_on_the_board(page, server, cast, district):
    layers, _ = district
    _open(page, server)
    _sign_in(page, cast.township_head)
    expect(page.locator("#statistics")).to_be_visible()
    page.locator("#statistics").click()
    expect(page.locator("#panel-body")).to_have_attribute("data-view", "statistics")
    figures = page.locator("#s-figures tr")
    expect(figures).to_have_count(10)
    closure = page.locator("#s-figures tr[data-figure=closure_rate] td").last.inner_text()
    assert closure == "—" or closure.endswith("%")
    # the ranking lists the township's own communities, and no other township's
    ranked = set(page.locator("#s-areas tr td:nth-child(2)").all_inner_texts())
    mine = layers.communities[layers.communities["township_code"] == cast.township]
    assert ranked and ranked <= set(mine["name"])
    assert _script_errors(page) == [] and page.blocked == []
    _shot(page, "statistics")


def test_the_devices_of_ones_jurisdiction_are_on_the_map(page, server, cast, district):
    layers, _ = district
    assert layers.sensors is not None and len(layers.sensors) > 0
    _open(page, server)
    _sign_in(page, cast.township_head)
    mine = layers.sensors[layers.sensors["grid_code"].fillna("").str.startswith(cast.township)]
    count = "layers.sensors.getLayers().length"
    page.wait_for_function(f"{count} === {len(mine)}")
    assert 0 < len(mine) < len(layers.sensors)  # the other township's devices are not drawn
    assert _script_errors(page) == [] and page.blocked == []


@pytest.mark.parametrize(("viewport", "grid"), [
    ({"width": 1400, "height": 900}, "loop_grid"), ({"width": 390, "height": 844}, "grid")],
    ids=["desktop", "phone"])
def test_the_plan_board_and_a_units_departure_and_arrival(browser, server, cast, district,
                                                          viewport, grid):
    layers, _ = district
    lon, lat = _inside(layers, getattr(cast, grid))
    context, page = _new_page(browser, viewport)
    try:  # the county reports a mass gathering: its plan starts, the board shows the force
        _open(page, server)
        _sign_in(page, cast.county)
        inc = page.evaluate("""([lon, lat]) => api("/incidents", {method: "POST",
            body: JSON.stringify({lon, lat, category: "X01", source: "hotline",
                                  description: "欠薪务工人员聚集讨薪"})})""", [lon, lat])
        assert inc["plan_code"] == "YA01"
        page.evaluate("refresh()")
        entry = page.locator(f"#plan-list > li[data-id='{inc['incident_id']}']")
        expect(entry).to_be_visible()
        expect(entry).to_contain_text("群体性事件应急预案")
        rows = entry.locator("table.forces tr")
        expect(rows).to_have_count(len(inc["emergency_forces"]))
        expect(rows.first).to_contain_text("待出发")
        expect(entry.locator(".countdown").first).to_contain_text("剩")
        expect(entry).to_contain_text("特警大队")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        _shot(page, f"plans-{grid}")
        assert _script_errors(page) == [] and page.blocked == []
    finally:
        context.close()
    force = inc["emergency_forces"][0]
    context, page = _new_page(browser, viewport, geolocation={"longitude": lon, "latitude": lat},
                              permissions=["geolocation"])
    try:  # the unit sent sees the matter, sets out and arrives (its phone at the site)
        _open(page, server)
        _sign_in(page, f"dw{force['unit_id']}")
        expect(page.locator(f"#plan-list > li[data-id='{inc['incident_id']}']")).to_be_visible()
        page.locator(f"#plan-list > li[data-id='{inc['incident_id']}']").click()
        expect(page.locator("#panel-body")).to_have_attribute("data-id", inc["incident_id"])
        expect(page.locator("#p-plan")).to_contain_text("群体性事件应急预案")
        assert {"depart", "arrive"} <= set(_buttons(page))
        assert "release" not in _buttons(page)
        mine = page.locator(f"#p-forces table.forces tr[data-unit='{force['unit_id']}']")
        page.locator("#panel button[data-action=depart]").click()
        expect(mine).to_have_attribute("data-status", "departed")
        expect(mine).to_contain_text("已出发")
        page.locator("#panel button[data-action=arrive]").click()
        expect(mine).to_have_attribute("data-status", "arrived")
        expect(mine).to_contain_text("已到场")
        assert _buttons(page) == []
        # the panel keeps within the screen: the force's table wraps its names
        assert page.evaluate("document.getElementById('panel').scrollWidth") <= \
            page.evaluate("document.getElementById('panel').clientWidth")
        last = page.locator(".timeline li").last
        expect(last).to_contain_text("到场")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        _shot(page, f"plans-unit-{grid}")
        assert _script_errors(page) == [] and page.blocked == []
    finally:
        context.close()
