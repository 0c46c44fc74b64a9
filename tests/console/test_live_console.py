"""Two dispatchers on two service processes: one's step shows on the other's console.

The consoles follow ``GET /events/stream`` (api/static/live.js); the two servers share
the store and the signing key, as ``gridgis serve --workers N`` does. Every wait is
on what the page shows, bounded by the console tests' generous limit.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import time

import pytest

from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    SECRET,
    _new_page,
    _open,
    _open_incident,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    prepared,
    server,
)


@pytest.fixture(scope="module")
def second_server(district, prepared, server):
    """Another service process on the same store, with the same signing key."""
    (where, _), (_, gpkg) = prepared, district
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "console.sqlite", where / "server-b.log") as base:
            yield base


def test_a_step_on_one_server_shows_on_the_other_console(browser, server, second_server,
                                                          cast, capsys):
    watching_context, watching = _new_page(browser)
    acting_context, acting = _new_page(browser)
    try:
        _open(watching, server)
        _sign_in(watching, cast.township_head)
        expect(watching.locator("#live")).to_have_text("实时更新已连接")
        row = watching.locator(f"#list li[data-id='{cast.reported}']")
        expect(row).to_have_attribute("data-status", "reported")
        accepted_count = watching.locator("#states button[data-status=accepted] b")
        before = int(accepted_count.inner_text())
        _open_incident(watching, cast.reported)

        _open(acting, second_server)
        _sign_in(acting, f"sq{cast.people[cast.worker].area_code}")
        expect(acting.locator("#live")).to_have_text("实时更新已连接")
        _open_incident(acting, cast.reported)
        acting.locator("#panel button[data-action=accept]").click()
        expect(acting.locator("#p-status")).to_have_attribute("data-status", "accepted")
        accepted = time.monotonic()

        # the other console, on the other process: its row, its counters and its open panel
        expect(row).to_have_attribute("data-status", "accepted")
        shown = time.monotonic() - accepted
        expect(watching.locator("#p-status")).to_have_attribute("data-status", "accepted")
        expect(accepted_count).to_have_text(str(before + 1))
        with capsys.disabled():
            print(f"\nlive update: the step showed on the other console {shown:.2f} s after "
                  "the acting console had its answer")
        _shot(watching, "live-update")
        assert watching.errors == [] and acting.errors == []
    finally:
        watching_context.close()
        acting_context.close()


def test_the_console_says_when_the_stream_is_lost(browser, server, cast):
    context, page = _new_page(browser)
    try:
        _open(page, server)
        _sign_in(page, cast.township_head)
        expect(page.locator("#live")).to_have_text("实时更新已连接")
        # the service goes away for the page: every request now fails
        page.route("**/events/**", lambda route: route.abort())
        page.evaluate("live.source.close(); live.source.onerror()")
        expect(page.locator("#live")).to_contain_text("实时更新已断开")
        page.unroute("**/events/**")
        expect(page.locator("#live")).to_have_text("实时更新已连接")
    finally:
        context.close()
