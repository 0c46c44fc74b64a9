"""The filters that read JSON columns give the same answers on SQLite and on PostGIS."""

import datetime as dt

from gridgis.store import IncidentQuery
from tests.test_store import T0, ev, record

NOW = T0 + dt.timedelta(hours=2)


def _force(unit, due, arrived=None):
    return {"unit_id": unit, "due_at": due.isoformat(timespec="seconds"),
            "arrived_at": None if arrived is None else arrived.isoformat(timespec="seconds"),
            "released_at": None}


def test_whistles_forces_and_late_units_filter_alike(backend):
    store = backend.open()
    calm, _ = store.create(record(), ev())  # green: due in a day, nothing called
    called, _ = store.create(record(whistle_calls=[{"unit_id": "U7", "hours": 2}]), ev())
    late, _ = store.create(record(plan_code="P1", plan_started_at=T0, plan_limit_min=30,
                                  emergency_forces=[_force("U8", T0 + dt.timedelta(hours=1))]),
                           ev())
    arrived, _ = store.create(record(plan_code="P1", plan_started_at=T0, plan_limit_min=30,
                                     emergency_forces=[_force("U9", T0 + dt.timedelta(hours=1),
                                                              T0)]), ev())

    def ids(**filters):
        return sorted(i["incident_id"] for i in store.query(
            IncidentQuery(now=NOW, **filters)).items)

    assert ids(whistled=True) == [called["incident_id"]]
    assert ids(unit_ids=("U7",)) == [called["incident_id"]]
    assert ids(unit_ids=("U8", "U9")) == sorted([late["incident_id"], arrived["incident_id"]])
    assert ids(light=("red",)) == [late["incident_id"]]  # a unit of its force is overdue
    assert ids(planned=True) == sorted([late["incident_id"], arrived["incident_id"]])
    assert calm["incident_id"] in ids(light=("green",))
    store.close()
