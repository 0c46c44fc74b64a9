import datetime as dt

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.errors import TransitionError
from gridgis.store import SQLiteStore

NOW = dt.datetime(2026, 11, 2, 9)


@pytest.fixture
def dispatcher(small_layers):
    store = SQLiteStore(":memory:")
    yield Dispatcher(small_layers, store, clock=lambda: NOW)
    store.close()


def test_a_step_recorded_afterwards_keeps_its_time_and_its_order(dispatcher, small_layers):
    p = small_layers.grids.geometry.iloc[0].representative_point()
    inc, _ = dispatcher.report(lon=p.x, lat=p.y, category="D01", description="噪音",
                               reported_at=NOW - dt.timedelta(hours=3))
    iid = inc["incident_id"]
    out = dispatcher.transition(iid, action="accept", actor="archive", role="community",
                                at=NOW - dt.timedelta(hours=2))
    assert out["accepted_at"] == NOW - dt.timedelta(hours=2) and out["status"] == "accepted"
    unit = small_layers.units["unit_id"].iloc[0]
    with pytest.raises(TransitionError, match="lies in the future"):
        dispatcher.transition(iid, action="dispatch", actor="a", role="township", unit_id=unit,
                              at=NOW + dt.timedelta(hours=1))
    with pytest.raises(TransitionError, match="behind the incident's last change"):
        dispatcher.transition(iid, action="dispatch", actor="a", role="township", unit_id=unit,
                              at=NOW - dt.timedelta(hours=3))
    events = dispatcher.incident(iid)["events"]
    assert [(e["action"], e["at"]) for e in events] == [
        ("report", NOW - dt.timedelta(hours=3)), ("accept", NOW - dt.timedelta(hours=2))]
    assert "events" not in dispatcher.incident(iid, events=False)
