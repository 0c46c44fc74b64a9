"""The API reference (/docs) in real headless Chromium: offline, under the service's CSP."""

from tests.console.test_console import (  # noqa: F401 (fixtures)
    _sign_in,
    browser,
    cast,
    district,
    page,
    prepared,
    server,
)

WAIT_MS = 120_000


def test_docs_render_offline_under_the_policy(page, server):  # noqa: F811
    csp = []
    page.on("response", lambda r: r.url.rstrip("/").endswith("/docs")
            and csp.append(r.headers.get("content-security-policy")))
    page.goto(server + "/docs", wait_until="networkidle")
    page.wait_for_selector(".opblock", timeout=WAIT_MS)  # the operations are drawn
    assert csp and "script-src 'self'" in csp[0]
    assert page.blocked == [] and page.errors == []  # nothing off the host, no CSP refusal
    assert page.locator(".opblock").count() >= 10


def test_console_draws_under_the_policy(page, server, cast):  # noqa: F811
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto(server + "/", wait_until="networkidle")
    _sign_in(page, cast.county)  # the board shows once someone signs in
    assert violations == [] and page.errors == []
    assert page.locator("path.leaflet-interactive").count() > 0
