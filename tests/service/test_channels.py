"""Channels on the service: the field's names, keys per channel, enabled channels."""

import pydantic
import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis.incidents.names import Source
from gridgis.store import SQLiteStore
from tests.conftest import county_headers
from tests.service.conftest import OPEN311_KEYS
from tests.service.test_incidents import report

WEB_KEY = "web-key-0123456789abcdef"
HOTLINE_KEY = "hotline-by-12345-key-0123"


@pytest.mark.parametrize(("name", "source"), [("12345", "hotline"), ("12345热线", "hotline"),
                                              ("微信", "wechat"), ("网格员", "grid_worker"),
                                              ("网格终端", "grid_worker"), ("web", "web"),
                                              ("网站", "web")])
def test_reports_take_the_fields_names(client, inside_point, name, source):
    r = report(client, inside_point, source=name)
    assert r.status_code == 201, r.text
    assert r.json()["source"] == source


def test_an_unknown_source_is_refused_with_the_list(client, inside_point):
    r = report(client, inside_point, source="飞鸽传书")
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["field"] == "source"
    assert "未知来源" in problem["detail"] and "12345热线" in problem["detail"]
    assert problem["detail"].index("12345热线") < problem["detail"].index("hotline")
    assert report(client, inside_point, source="open311").status_code == 422


def test_the_documented_source_lists_the_names(app):
    schema = app.openapi()["components"]["schemas"]["IncidentIn"]["properties"]["source"]
    assert {"12345", "微信", "网格员", "web", "hotline"} <= set(schema["enum"])
    assert "open311" not in schema["enum"]


@pytest.fixture
def narrow(small_layers, tmp_path, clock):
    """A service taking reports from the hotline and grid workers only."""
    store = SQLiteStore(tmp_path / "narrow.sqlite")
    keys = OPEN311_KEYS | {"web": WEB_KEY}
    app = create_app(Settings(open311_keys=keys, channels=["12345", "网格员"]),
                     layers=small_layers, store=store, clock=clock)
    with TestClient(app, raise_server_exceptions=False, headers=county_headers(app)) as c:
        yield c
    store.close()


def test_a_disabled_channel_is_refused_naming_it(narrow, inside_point):
    assert report(narrow, inside_point, source="12345").status_code == 201
    assert report(narrow, inside_point, source="grid_worker").status_code == 201
    r = report(narrow, inside_point, source="微信")
    assert r.status_code == 403, r.text
    assert "微信" in r.json()["detail"] and "wechat" in r.json()["detail"]
    assert "12345热线" in r.json()["detail"]  # the enabled ones
    body = {"service_code": "E02", "lat": inside_point["lat"], "long": inside_point["lon"],
            "description": "垃圾"}
    for key, name in ((OPEN311_KEYS["app"], "app"), (WEB_KEY, "web")):
        r = narrow.post("/open311/v2/requests.json", data=body | {"api_key": key})
        assert r.status_code == 403, r.text
        assert name in r.json()[0]["description"]
    r = narrow.post("/open311/v2/requests.json", data=body | {"api_key": OPEN311_KEYS["hotline"]})
    assert r.status_code == 201, r.text


def test_each_channel_its_key_under_any_name(small_layers, tmp_path, clock, inside_point):
    settings = Settings(open311_keys={"12345": HOTLINE_KEY, "网站": WEB_KEY})
    assert set(settings.open311_keys) == {"hotline", "web"}
    store = SQLiteStore(tmp_path / "keys.sqlite")
    app = create_app(settings, layers=small_layers, store=store, clock=clock)
    body = {"service_code": "E02", "lat": inside_point["lat"], "long": inside_point["lon"],
            "description": "垃圾"}
    with TestClient(app, raise_server_exceptions=False) as c:
        for key, source in ((HOTLINE_KEY, "hotline"), (WEB_KEY, "web")):
            r = c.post("/open311/v2/requests.json", data=body | {"api_key": key})
            assert r.status_code == 201, r.text
            rid = r.json()[0]["service_request_id"]
            assert app.state.dispatcher.incident(rid)["source"] == source
    store.close()


def test_channel_settings_are_checked(monkeypatch):
    monkeypatch.setenv("GRIDGIS_CHANNELS", "grid_worker, 12345,微信")
    assert Settings().channels == [Source.GRID_WORKER, Source.HOTLINE, Source.WECHAT]
    monkeypatch.setenv("GRIDGIS_CHANNELS", '["web", "网站", "传感器"]')
    assert Settings().channels == [Source.WEB, Source.SENSOR]
    monkeypatch.setenv("GRIDGIS_CHANNELS", "hotline,飞鸽")
    with pytest.raises(pydantic.ValidationError, match="未知来源"):
        Settings()
    monkeypatch.delenv("GRIDGIS_CHANNELS")
    assert Settings().channels == list(Source)
    monkeypatch.setenv("GRIDGIS_OPEN311_KEYS", f'{{"12345热线": "{HOTLINE_KEY}"}}')
    assert Settings().open311_keys["hotline"].get_secret_value() == HOTLINE_KEY
    with pytest.raises(pydantic.ValidationError, match="twice"):
        Settings(open311_keys={"12345": HOTLINE_KEY, "hotline": HOTLINE_KEY})
    with pytest.raises(pydantic.ValidationError, match="open311_keys"):
        Settings(open311_keys={"网格员": HOTLINE_KEY})  # grid workers sign in: no key
