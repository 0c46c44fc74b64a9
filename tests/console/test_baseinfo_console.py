"""基础信息 · 今日任务 on a grid worker's phone: lights, find an address, 变更 a household, 走访.

A server of its own on a small sample district with its base information and the sample's
last visits loaded (so that some tasks are overdue), the network cut, at 390×844.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import sqlite3

import pytest

from gridgis import sample_district, write_layers
from gridgis.baseinfo import load_sample, sample_baseinfo
from gridgis.baseinfo.sample import sample_visits
from gridgis.people.passwords import hash_password
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    PASSWORD,
    SECRET,
    _inside,
    _new_page,
    _open,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    expect,
)
from tests.console.test_console_i18n import latin_only
from tests.service.conftest import district_roster


@pytest.fixture(scope="module")
def baseinfo_server(tmp_path_factory):
    where = tmp_path_factory.mktemp("baseinfo-console")
    layers = sample_district(scale=0.05, seed=7)
    gpkg = write_layers(layers, where / "d.gpkg")
    store = SQLiteStore(where / "s.sqlite")
    try:
        digest = hash_password(PASSWORD)
        for person in district_roster(layers):
            store.staff.save(person, password_hash=digest)
        sample = sample_baseinfo(layers)
        load_sample(store.engine, sample, visits=sample_visits(sample))
    finally:
        store.close()
    grid = layers.grids.sort_values("code").iloc[0]["code"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "s.sqlite", where / "server.log") as base:
            yield base, layers, grid, where / "s.sqlite"


def _api(pg, path, method="GET", body=None):
    return pg.evaluate("([p, m, b]) => api(p, b ? {method: m, body: JSON.stringify(b)} : "
                       "{method: m})", [path, method, body])


def test_a_grid_worker_keeps_base_information_on_the_phone(browser, baseinfo_server):
    base, layers, grid, path = baseinfo_server
    context, phone = _new_page(browser, {"width": 390, "height": 844})
    try:
        lon, lat = _inside(layers, grid)
        context.grant_permissions(["geolocation"])
        context.set_geolocation({"longitude": lon, "latitude": lat})
        _open(phone, base)
        _sign_in(phone, f"wg{grid}")
        phone.locator("#tab-board").click()
        box = phone.locator("#baseinfo")
        expect(box).to_be_visible()
        expect(box.locator("h2")).to_contain_text("基础信息 · 今日任务")
        tasks = _api(phone, "/baseinfo/tasks")
        overdue = tasks["counts"]["overdue"]
        assert overdue > 0
        # the badge counts the overdue visits; red lights come first
        expect(phone.locator("#bi-overdue")).to_have_text(f"逾期 {overdue}")
        expect(phone.locator("#bi-tasks li.bi-task").first).to_have_attribute("data-light", "red")
        assert phone.locator("#bi-tasks li.red").count() >= 1
        expect(phone.locator("#bi-tasks li.red").first).to_contain_text("逾期")
        box.scroll_into_view_if_needed()
        _shot(phone, "baseinfo-tasks-phone")
        # an overdue household of the grid: find its address by its text
        task = next(t for t in tasks["items"]
                    if t["light"] == "red" and t["target_kind"] == "houses")
        house = _api(phone, f"/baseinfo/houses/{task['target_id']}")["record"]
        address = _api(phone, f"/baseinfo/addresses/{house['address_id']}")["record"]
        phone.locator("#bi-q").fill(address["full_text"])
        phone.locator("#bi-find button[type=submit]").click()
        found = phone.locator(f"#bi-addresses li[data-id='{address['address_id']}']")
        expect(found).to_be_visible()
        found.click()
        row = phone.locator(f"#bi-address li.bi-house[data-id='{house['house_id']}']")
        expect(row).to_be_visible()
        assert phone.locator("#bi-address li.bi-person").count() > 0
        # 变更: the floor area of the household
        area = round((house.get("floor_area_m2") or 80) + 7.5, 1)
        row.locator("input[name=floor_area_m2]").fill(str(area))
        row.locator(".bi-save").click()
        expect(phone.locator("#bi-status")).to_contain_text("已保存")
        stored = _api(phone, f"/baseinfo/houses/{house['house_id']}")
        assert stored["record"]["floor_area_m2"] == pytest.approx(area)
        assert stored["record"]["version"] == house["version"] + 1
        assert stored["history"][-1]["action"] == "change"
        # someone else changes it meanwhile: the next save is refused in Chinese
        _api(phone, f"/baseinfo/houses/{house['house_id']}", "PATCH",
             {"fields": {"floor_area_m2": area + 1}, "version": house["version"] + 1})
        row.locator("input[name=floor_area_m2]").fill(str(area + 2))
        row.locator(".bi-save").click()
        expect(phone.locator("#bi-status")).to_contain_text("已被他人修改")
        assert _api(phone, f"/baseinfo/houses/{house['house_id']}")["record"][
            "floor_area_m2"] == pytest.approx(area + 1)
        # 走访: the visit of the overdue household, where the phone is
        row.locator(f".bi-visit[data-task='{task['task_code']}']").click()
        expect(phone.locator("#bi-status")).to_contain_text("已记录走访")
        expect(phone.locator("#bi-status")).to_contain_text("已附位置")
        after = _api(phone, "/baseinfo/tasks")
        done = next(t for t in after["items"] if t["task_code"] == task["task_code"]
                    and t["target_id"] == task["target_id"])
        assert done["state"] == "done" and done["light"] == "green"
        assert after["counts"]["overdue"] == overdue - 1
        expect(phone.locator("#bi-overdue")).to_have_text(f"逾期 {overdue - 1}")
        with sqlite3.connect(path) as db:
            lons = db.execute("SELECT lon, lat FROM bi_visits WHERE target_id = ? "
                              "AND task_code = ? AND lon IS NOT NULL",
                              (task["target_id"], task["task_code"])).fetchall()
        assert any(abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6 for x, y in lons)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(phone, "baseinfo-phone")
        assert _script_errors(phone) == [] and phone.blocked == []
    finally:
        context.close()


def test_the_view_sits_beside_the_map_on_a_desktop_all_in_chinese(browser, baseinfo_server):
    base, _, grid, _ = baseinfo_server
    context, page = _new_page(browser)
    try:
        _open(page, base)
        _sign_in(page, f"wg{grid}")
        expect(page.locator("#baseinfo")).to_be_visible()
        expect(page.locator("#map")).to_be_visible()
        expect(page.locator("#bi-overdue")).to_contain_text("逾期")
        page.locator("#bi-q").fill("号")
        page.locator("#bi-find button[type=submit]").click()
        page.locator("#bi-addresses li").first.click()
        expect(page.locator("#bi-address li.bi-house").first).to_be_visible()
        assert latin_only(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        page.locator("#baseinfo").scroll_into_view_if_needed()
        _shot(page, "baseinfo-desktop")
        assert _script_errors(page) == [] and page.blocked == []
    finally:
        context.close()
