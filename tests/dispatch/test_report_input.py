"""Unusable report input raises InputError naming the argument (not TransitionError)."""

import dataclasses
import datetime as dt

import pytest

from gridgis.dispatch import Dispatcher, DispatchSettings
from gridgis.errors import InputError, TransitionError
from gridgis.store import SQLiteStore

NOW = dt.datetime(2026, 11, 2, 9)


@pytest.fixture
def district(small_layers):
    store = SQLiteStore(":memory:")
    p = small_layers.grids.geometry.iloc[0].representative_point()
    yield small_layers, store, {"lon": p.x, "lat": p.y, "category": "D01"}
    store.close()


@pytest.mark.parametrize(("over", "field"), [
    ({"description": " \t"}, "description"),
    ({"source": "pigeon"}, "source"),
    ({"reported_at": NOW + dt.timedelta(hours=1)}, "reported_at"),
    ({"reported_at": dt.datetime(1, 1, 1)}, "reported_at"),
    ({"reported_at": NOW - dt.timedelta(days=366 * 5 + 1)}, "reported_at"),
])
def test_bad_report_input_names_its_field(district, over, field):
    layers, store, where = district
    d = Dispatcher(layers, store, clock=lambda: NOW)
    with pytest.raises(InputError) as caught:
        d.report(**(where | {"description": "噪音"} | over))
    assert caught.value.field == field
    assert not isinstance(caught.value, TransitionError)
    assert " / " in str(caught.value)  # 中文 / English


def test_the_oldest_report_is_a_setting(district):
    layers, store, where = district
    settings = dataclasses.replace(DispatchSettings(), oldest_report_days=10)
    d = Dispatcher(layers, store, settings=settings, clock=lambda: NOW)
    with pytest.raises(InputError, match="10 days"):
        d.report(**where, description="噪音", reported_at=NOW - dt.timedelta(days=11))
    inc, created = d.report(**where, description="噪音", reported_at=NOW - dt.timedelta(days=9))
    assert created and inc["reported_at"] == NOW - dt.timedelta(days=9)
    assert DispatchSettings().oldest_report_days == 366 * 5
