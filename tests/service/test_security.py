"""The service's guards: trusted hosts, security headers, CORS, offline /docs, /health."""

from __future__ import annotations

import re
import sqlite3

import pytest
from fastapi.testclient import TestClient

import gridgis
from api import create_app
from api.security import CONTENT_SECURITY_POLICY
from api.settings import DEFAULT_ALLOWED_HOSTS, Settings
from gridgis.store import SQLiteStore


@pytest.fixture
def make_client(small_layers, tmp_path):
    """A client on a service built with the given settings (closed at the end)."""
    made = []

    def make(**settings):
        store = SQLiteStore(tmp_path / f"incidents-{len(made)}.sqlite")
        app = create_app(Settings(**settings), layers=small_layers, store=store)
        client = TestClient(app, raise_server_exceptions=False)
        made.append((client, store))
        return client

    yield make
    for client, store in made:
        client.close()
        store.close()


# -- trusted hosts ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/collections", "/incidents", "/docs",
                                  "/static/console.js", "/nothing-here"])
def test_a_forged_host_is_refused_and_never_echoed(client, path):
    r = client.get(path, headers={"host": "evil.example:8000"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 400 and body["field"] == "Host"
    assert "evil" not in r.text
    assert r.headers["x-frame-options"] == "DENY"  # the refusal has the headers too


def test_links_name_only_allowed_hosts(client):
    for host in DEFAULT_ALLOWED_HOSTS:
        header = f"[{host}]:8000" if ":" in host else f"{host}:8000"
        r = client.get("/?f=json", headers={"host": header})
        assert r.status_code == 200, (host, r.text)
        hrefs = [link["href"] for link in r.json()["links"]]
        assert all(h.startswith(f"http://{header}/") for h in hrefs), hrefs


def test_allowed_hosts_are_configurable(make_client, monkeypatch):
    monkeypatch.setenv("GRIDGIS_ALLOWED_HOSTS", "grid.example.org, *.county.example")
    client = make_client()
    assert client.get("/conformance", headers={"host": "grid.example.org"}).status_code == 200
    assert client.get("/conformance",
                      headers={"host": "a.county.example:443"}).status_code == 200
    for host in ("localhost", "county.example.evil", "example.org"):
        assert client.get("/conformance", headers={"host": host}).status_code == 400, host
    with pytest.raises(ValueError, match="not host names"):
        Settings(allowed_hosts=["grid.example.org/path"])
    with pytest.raises(ValueError):
        Settings(allowed_hosts=[])


# -- security headers ------------------------------------------------------------------

@pytest.mark.parametrize("path, status", [
    ("/", 200), ("/?f=json", 200), ("/static/console.js", 200), ("/static/console.css", 200),
    ("/static/leaflet/leaflet.js", 200), ("/docs", 200), ("/openapi.json", 200),
    ("/collections/grids/items?limit=1", 200), ("/incidents/NOPE", 404),
    ("/locate?lon=0&lat=0", 422), ("/nothing-here", 404), ("/health", 200)])
def test_every_answer_has_the_security_headers(client, path, status):
    r = client.get(path, headers={"accept": "text/html"} if path == "/" else {})
    assert r.status_code == status
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    if "json" in r.headers["content-type"]:
        assert r.headers["cache-control"] == "no-store"


def test_the_policy_allows_nothing_inline_nor_foreign():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    for name in ("default-src", "script-src", "style-src", "connect-src"):
        assert directives[name] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY


def test_the_console_has_no_inline_script_or_style(client):
    html = client.get("/?f=html").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers


def test_unexpected_errors_have_the_headers_too(client):
    @client.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    client.app.middleware_stack = None  # rebuilt with the new route
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert r.headers["cache-control"] == "no-store"


def test_body_too_large_has_the_headers(client):
    r = client.post("/incidents", content=b"x" * 20_000,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"


# -- CORS ------------------------------------------------------------------------------

def test_cors_is_off_by_default(client):
    origin = {"origin": "https://elsewhere.example"}
    for r in (client.get("/incidents", headers=origin),
              client.get("/", headers=origin),
              client.options("/incidents", headers={**origin,
                                                    "access-control-request-method": "POST"})):
        assert "access-control-allow-origin" not in r.headers


def test_cors_origins_are_configurable(make_client, monkeypatch):
    monkeypatch.setenv("GRIDGIS_CORS_ORIGINS", '["https://app.example.org"]')
    client = make_client()
    r = client.get("/categories", headers={"origin": "https://app.example.org"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.org"
    pre = client.options("/incidents", headers={"origin": "https://app.example.org",
                                                "access-control-request-method": "POST",
                                                "access-control-request-headers":
                                                    "content-type"})
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]
    other = client.get("/incidents", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    with pytest.raises(ValueError, match="not origins"):
        Settings(cors_origins=["https://app.example.org/path"])


# -- /docs offline -----------------------------------------------------------------------

def test_docs_are_served_offline(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert not re.findall(r"https?://", html), "the page names another origin"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        got = client.get(asset)
        assert got.status_code == 200, asset
        assert len(got.content) > 0
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    openapi = re.search(r'data-openapi="([^"]+)"', html).group(1)
    assert client.get(openapi).json()["info"]["title"] == "gridgis"
    assert client.get("/redoc").status_code == 404  # not served: its bundle is not local


# -- /health -----------------------------------------------------------------------------

def test_health_answers_the_version_the_store_and_the_grids(client, small_layers):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": gridgis.__version__, "store": "ok",
                        "grids": len(small_layers.grids)}


def test_health_is_503_when_the_store_cannot_be_read(small_layers, tmp_path):
    path = tmp_path / "incidents.sqlite"
    store = SQLiteStore(path)
    app = create_app(Settings(), layers=small_layers, store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/health").status_code == 200
        with sqlite3.connect(path) as conn:  # the events table is gone under the service
            conn.execute("DROP TABLE events")
        conn.close()
        r = client.get("/health")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == "store" and "cannot be read" in r.json()["detail"]
        assert str(tmp_path) not in r.text  # the file's path stays on the server
        assert r.headers["retry-after"]
    store.close()
