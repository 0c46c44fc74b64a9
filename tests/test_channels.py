"""Channels under the names the field uses; unknown and disabled channels refused."""

import datetime as dt

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.errors import AccessDeniedError, InputError
from gridgis.incidents.channels import (
    ALIASES,
    accepted_names,
    check_enabled,
    known_sources,
    source_of,
)
from gridgis.incidents.names import SOURCE_NAMES, Source
from gridgis.store import SQLiteStore

NOW = dt.datetime(2026, 11, 2, 9)
EVERY_ALIAS = [(name, source) for source, names in ALIASES.items() for name in names]


@pytest.mark.parametrize(("name", "source"), EVERY_ALIAS)
def test_every_alias_reads_as_its_channel(name, source):
    assert source_of(name) is source


@pytest.mark.parametrize("source", list(Source))
def test_each_channel_by_its_value_and_its_chinese_name(source):
    assert source_of(source.value) is source
    assert source_of(SOURCE_NAMES[source]) is source
    assert source_of(source) is source


@pytest.mark.parametrize(("name", "source"), [
    ("12345", Source.HOTLINE), ("12345热线", Source.HOTLINE), ("１２３４５", Source.HOTLINE),
    (" 12345 热线 ", Source.HOTLINE), ("微信", Source.WECHAT), ("网格员", Source.GRID_WORKER),
    ("网格终端", Source.GRID_WORKER), ("Grid-Worker", Source.GRID_WORKER),
    ("WeChat", Source.WECHAT), ("web", Source.WEB), ("网站", Source.WEB),
    ("OPEN311", Source.OPEN311), ("IoT", Source.SENSOR),
])
def test_names_of_the_field(name, source):
    assert source_of(name) is source


def test_every_channel_has_a_chinese_name():
    assert set(SOURCE_NAMES) == set(Source)
    assert all(name and not name.isascii() for name in SOURCE_NAMES.values())
    names = accepted_names()
    assert len(names) == len(set(names))
    assert names[:len(Source)] == [s.value for s in Source]
    assert {source_of(n) for n in names} == set(Source)


@pytest.mark.parametrize("bad", ["pigeon", "", "   ", "12346", "微博", 12345, None])
def test_unknown_source_lists_the_known_ones_chinese_first(bad):
    with pytest.raises(InputError) as caught:
        source_of(bad)
    message = str(caught.value)
    assert caught.value.field == "source"
    zh, en = message.split(" / ", 1)
    assert "未知来源" in zh and known_sources() in zh
    for source in Source:
        assert SOURCE_NAMES[source] in zh and source.value in en
    assert zh.index("网格员终端") < zh.index("12345热线")  # in the enum's order


def test_a_disabled_channel_is_refused_by_name():
    assert check_enabled("12345", ["hotline", "app"]) is Source.HOTLINE
    assert check_enabled("微信", None) is Source.WECHAT
    with pytest.raises(AccessDeniedError) as caught:
        check_enabled("微信", ["hotline", "网格员"])
    message = str(caught.value)
    assert "微信" in message and "wechat" in message
    assert "12345热线" in message and "网格员终端" in message  # the enabled ones
    with pytest.raises(InputError):
        check_enabled("pigeon", ["hotline"])


@pytest.fixture
def dispatcher(small_layers):
    store = SQLiteStore(":memory:")
    yield Dispatcher(small_layers, store, clock=lambda: NOW)
    store.close()


@pytest.mark.parametrize(("name", "source"), [("12345", "hotline"), ("微信", "wechat"),
                                              ("网格员", "grid_worker"), ("web", "web")])
def test_the_dispatcher_reads_the_fields_names(dispatcher, small_layers, name, source):
    p = small_layers.grids.geometry.iloc[0].representative_point()
    incident, _ = dispatcher.report(lon=p.x, lat=p.y, category="D01", description="噪音扰民",
                                    source=name)
    assert incident["source"] == source
    stored = dispatcher.incident(incident["incident_id"])
    assert stored["events"][0]["data"]["source"] == source


def test_the_dispatcher_refuses_an_unknown_source_with_the_list(dispatcher, small_layers):
    p = small_layers.grids.geometry.iloc[0].representative_point()
    with pytest.raises(InputError, match="12345热线") as caught:
        dispatcher.report(lon=p.x, lat=p.y, category="D01", description="噪音", source="飞鸽")
    assert caught.value.field == "source"
