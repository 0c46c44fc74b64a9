"""The console's patrols (巡查): zones lit by compliance, a worker's own patrols, 开始/结束巡查."""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

from tests.console.test_console import (  # noqa: F401 - fixtures
    _inside,
    _open,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    page,
    phone,
    prepared,
    server,
)


def test_zones_light_by_compliance(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.county)
    expect(page.locator("#patrols")).to_be_visible()
    # nothing patrolled yet: every high zone is missed (red), the others behind (yellow)
    expect(page.locator("path.zone.missed").first).to_be_attached()
    assert page.locator("path.zone.on_track").count() == 0
    assert page.locator("path.zone.behind").count() > 0
    high = page.locator("#patrol-levels tr[data-level=high]")
    expect(high).to_contain_text("高频")
    expect(high).to_contain_text("达标率 0%")
    expect(page.locator("#patrol-list li.zone-missed").first).to_contain_text("漏巡")
    assert page.locator("#patrol-toggle").is_hidden()  # the county does not patrol
    _shot(page, "patrol-compliance")
    assert _script_errors(page) == [] and page.blocked == []


def test_a_grid_worker_starts_and_ends_a_patrol_on_the_phone(phone, server, cast, district):
    layers, _ = district
    lon, lat = _inside(layers, cast.grid)
    phone.context.grant_permissions(["geolocation"])
    phone.context.set_geolocation({"longitude": lon, "latitude": lat})
    _open(phone, server)
    _sign_in(phone, cast.worker)
    toggle = phone.locator("#patrol-toggle")
    expect(toggle).to_have_text("开始巡查")
    assert phone.locator("#patrol-list li.own-patrol").count() == 0
    toggle.click()
    expect(toggle).to_have_text("结束巡查")
    expect(phone.locator("body[data-points='1']")).to_be_attached()
    phone.context.set_geolocation({"longitude": lon + 0.00005, "latitude": lat})
    expect(phone.locator("body[data-points='2']")).to_be_attached()
    expect(phone.locator("#patrol-status")).to_contain_text("已记录 2 个轨迹点")
    toggle.click()
    expect(phone.locator("#patrol-status")).to_contain_text("已上报巡查")
    expect(toggle).to_have_text("开始巡查")
    mine = phone.locator("#patrol-list li.own-patrol")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("轨迹")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "patrol-phone")
    assert _script_errors(phone) == [] and phone.blocked == []
