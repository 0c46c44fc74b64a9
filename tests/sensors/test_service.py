"""Alarms raise or fold into incidents; readings under the threshold raise nothing;
silent devices raise one maintenance matter."""

import dataclasses
import datetime as dt
import threading

import pandas as pd
import pytest

from gridgis.errors import CategoryError, DeviceNotFoundError, InputError
from gridgis.incidents.names import State
from gridgis.sensors import AlarmOutcome, SensorService, SensorSettings, load_sensor_kinds
from gridgis.store.base import IncidentQuery
from tests.sensors.conftest import device_of, threshold

CATEGORY = {"smoke": "S03", "gas": "S04", "water_level": "E01", "manhole_cover": "S02",
            "fume": "E03"}


def sensor_incidents(dispatcher):
    page = dispatcher.store.query(IncidentQuery(now=dispatcher.clock(), limit=1000))
    return [i for i in page.items if i["source"] == "sensor"]


def reject(dispatcher, incident_id):
    """Finish a matter (rejected is a closed state: nothing more happens to it)."""
    return dispatcher.transition(incident_id, action="reject", actor="sq", role="community",
                                 note="误报，已到场核实")


def test_ten_alarms_in_five_minutes_are_one_incident(sensors, dispatcher, clock):
    gas = device_of(sensors, "gas")
    alarms = []
    for k in range(10):
        alarms.append(sensors.alarm(gas.device_id, 25.0 + k))
        clock.advance(seconds=30)
    assert [a.outcome for a in alarms] == [AlarmOutcome.RAISED] + [AlarmOutcome.FOLDED] * 9
    ids = {a.incident["incident_id"] for a in alarms}
    assert len(ids) == 1 and len(sensor_incidents(dispatcher)) == 1
    assert [a.alarm_count for a in alarms] == list(range(1, 11))
    [iid] = ids
    state = dispatcher.store.sensors.state(gas.device_id)
    assert state.alarm_incident_id == iid and state.alarm_count == 10 and state.episodes == 1
    logged = dispatcher.store.sensors.alarms(incident_id=iid)
    assert len(logged) == 10 and sorted(r["reading"] for r in logged) == [25.0 + k
                                                                           for k in range(10)]
    assert [r["outcome"] for r in logged[::-1]] == ["raised"] + ["folded"] * 9
    events = dispatcher.incident(iid)["events"]
    assert len(events) == 1 and events[0]["actor"] == f"sensor:{gas.device_id}"


def test_a_second_incident_after_the_first_is_closed(sensors, dispatcher, clock):
    smoke = device_of(sensors, "smoke")
    first = sensors.alarm(smoke.device_id, 0.5)
    reject(dispatcher, first.incident["incident_id"])
    clock.advance(minutes=1)
    second = sensors.alarm(smoke.device_id, 0.6)
    assert second.outcome is AlarmOutcome.RAISED and second.alarm_count == 1
    assert second.incident["incident_id"] != first.incident["incident_id"]
    assert second.incident["status"] == State.REPORTED
    assert dispatcher.store.sensors.state(smoke.device_id).episodes == 2
    clock.advance(minutes=1)
    third = sensors.alarm(smoke.device_id, 0.7)  # the new one is open: folded into it
    assert third.outcome is AlarmOutcome.FOLDED
    assert third.incident["incident_id"] == second.incident["incident_id"]


def test_the_window_runs_from_the_last_alarm(sensors, dispatcher, clock):
    cover = device_of(sensors, "manhole_cover")
    first = sensors.alarm(cover.device_id, 20.0)
    clock.advance(minutes=29)
    assert sensors.alarm(cover.device_id, 21.0).outcome is AlarmOutcome.FOLDED
    clock.advance(minutes=29)  # 58 minutes after the first, 29 after the last
    assert sensors.alarm(cover.device_id, 22.0).outcome is AlarmOutcome.FOLDED
    clock.advance(minutes=31)
    late = sensors.alarm(cover.device_id, 23.0)
    assert late.outcome is AlarmOutcome.RAISED  # the first is open, but the storm was over
    assert late.incident["incident_id"] != first.incident["incident_id"]
    assert first.incident["incident_id"] in late.incident["duplicate_of"]


def test_the_window_is_a_setting(dispatcher, clock):
    sensors = SensorService(dispatcher, settings=SensorSettings(
        fold_window=dt.timedelta(minutes=5)))
    fume = device_of(sensors, "fume")
    sensors.alarm(fume.device_id, 3.0)
    clock.advance(minutes=6)
    assert sensors.alarm(fume.device_id, 3.5).outcome is AlarmOutcome.RAISED


def test_readings_under_the_threshold_raise_nothing(sensors, dispatcher, clock):
    water = device_of(sensors, "water_level")
    limit = threshold(sensors, "water_level")
    for reading in (0.0, 3.5, limit - 0.1):
        out = sensors.alarm(water.device_id, reading)
        assert out.outcome is AlarmOutcome.NORMAL and out.incident is None and out.category is None
        clock.advance(minutes=10)
    assert sensor_incidents(dispatcher) == []
    state = dispatcher.store.sensors.state(water.device_id)
    assert state.last_reading == limit - 0.1 and state.last_alarm_at is None
    assert state.alarm_incident_id is None and state.last_seen_at == clock.now - dt.timedelta(
        minutes=10)
    logged = dispatcher.store.sensors.alarms(water.device_id)
    assert len(logged) == 3 and not any(r["over"] for r in logged)
    assert {r["outcome"] for r in logged} == {"normal"}
    at_limit = sensors.alarm(water.device_id, limit)  # at the threshold: an alarm
    assert at_limit.outcome is AlarmOutcome.RAISED


@pytest.mark.parametrize("kind", list(CATEGORY))
def test_the_category_comes_from_the_kind(sensors, kind):
    device = device_of(sensors, kind)
    reading = threshold(sensors, kind) * 1.5
    out = sensors.alarm(device.device_id, reading)
    incident = out.incident
    assert out.category == CATEGORY[kind] == incident["category"]
    assert incident["source"] == "sensor"
    assert incident["grid_code"] == device.grid_code
    assert (incident["lon"], incident["lat"]) == pytest.approx((device.lon, device.lat),
                                                               abs=1e-6)
    row = sensors.kinds.loc[[kind]].iloc[0]
    text = incident["description"]
    assert text.startswith(f"{row['name_zh']}报警：{device.name}（{device.device_id}）")
    assert f"{reading:g}" in text and row["unit"] in text and row["measure_zh"] in text


def test_several_thresholds_raise_the_gravest_category(dispatcher, tmp_path):
    table = load_sensor_kinds()
    deep = table.loc[["water_level"]].assign(threshold=50.0, category="S02")
    path = tmp_path / "kinds.csv"
    pd.concat([table, deep]).to_csv(path, index=False)
    sensors = SensorService(dispatcher, kinds=load_sensor_kinds(path))
    a, b = [d for d in sensors.registry if d.kind == "water_level"][:2]
    assert sensors.alarm(a.device_id, 20.0).category == "E01"
    deep_alarm = sensors.alarm(b.device_id, 60.0)
    assert deep_alarm.category == "S02" and deep_alarm.threshold == 50.0
    assert "60 cm" in deep_alarm.incident["description"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e10, True, "3",
                                 None])
def test_a_bad_reading_names_its_field(sensors, dispatcher, bad):
    gas = device_of(sensors, "gas")
    with pytest.raises(InputError) as caught:
        sensors.alarm(gas.device_id, bad)
    assert caught.value.field == "reading" and " / " in str(caught.value)
    assert dispatcher.store.sensors.alarms(gas.device_id) == []


def test_times_and_devices_are_checked(sensors, clock):
    gas = device_of(sensors, "gas")
    for at in (clock.now + dt.timedelta(minutes=6), clock.now - dt.timedelta(days=366 * 5 + 1)):
        with pytest.raises(InputError) as caught:
            sensors.alarm(gas.device_id, 30.0, at)
        assert caught.value.field == "at"
        with pytest.raises(InputError):
            sensors.heartbeat(gas.device_id, at)
    past = sensors.alarm(gas.device_id, 30.0, clock.now - dt.timedelta(hours=2))
    assert past.incident["reported_at"] == clock.now - dt.timedelta(hours=2)
    for call in (lambda: sensors.alarm("NOPE", 1.0), lambda: sensors.heartbeat("NOPE")):
        with pytest.raises(DeviceNotFoundError, match="NOPE"):
            call()


def test_concurrent_alarms_raise_one_incident(dispatcher):
    # two services on one store (two service processes): the lock and the idempotency key
    services = [SensorService(dispatcher), SensorService(dispatcher)]
    gas = device_of(services[0], "gas")
    start = threading.Barrier(8)
    errors = []

    def fire(k):
        try:
            start.wait()
            services[k % 2].alarm(gas.device_id, 30.0 + k)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fire, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(sensor_incidents(dispatcher)) == 1
    state = dispatcher.store.sensors.state(gas.device_id)
    assert state.alarm_count == 8 and state.episodes == 1
    assert len(dispatcher.store.sensors.alarms(incident_id=state.alarm_incident_id)) == 8


def test_a_silent_device_raises_exactly_one_maintenance_matter(sensors, dispatcher, clock):
    devices = list(sensors.registry)
    quiet = device_of(sensors, "gas")  # every 30 minutes
    for d in devices:  # everyone reports in now
        sensors.heartbeat(d.device_id)
    assert sensors.silent_devices() == []
    clock.advance(minutes=59)  # within twice the gas detector's interval
    for d in devices:
        if d.device_id != quiet.device_id:
            sensors.heartbeat(d.device_id)
    assert sensors.silent_devices() == []
    assert sensors.raise_maintenance() == []
    clock.advance(minutes=2)  # 61 minutes since the gas detector was heard from
    for d in devices:
        if d.device_id != quiet.device_id:
            sensors.heartbeat(d.device_id)
    assert [s["device_id"] for s in sensors.silent_devices()] == [quiet.device_id]
    [matter] = sensors.raise_maintenance(run_by="qx330399")
    assert matter["category"] == "S05" and matter["source"] == "sensor"
    assert matter["grid_code"] == quiet.grid_code
    assert quiet.device_id in matter["description"] and "离线" in matter["description"]
    assert dispatcher.incident(matter["incident_id"])["events"][0]["actor"] == \
        "sensor-sweep:qx330399"
    clock.advance(hours=5)
    for d in devices:
        if d.device_id != quiet.device_id:
            sensors.heartbeat(d.device_id)
    assert sensors.raise_maintenance() == []  # not again while the matter is open
    state = dispatcher.store.sensors.state(quiet.device_id)
    assert state.maintenance_incident_id == matter["incident_id"]
    assert state.maintenance_count == 1
    reject(dispatcher, matter["incident_id"])
    clock.advance(minutes=1)
    for d in devices:
        if d.device_id != quiet.device_id:
            sensors.heartbeat(d.device_id)
    [again] = sensors.raise_maintenance()  # closed, still silent: a new matter
    assert again["incident_id"] != matter["incident_id"]


def test_a_device_never_heard_from_counts_from_its_installation(sensors, clock):
    smoke = device_of(sensors, "smoke")
    status = sensors.device_status(smoke.device_id, now=smoke.installed_at
                                   + dt.timedelta(hours=47))
    assert status["silent"] is False and status["last_seen_at"] is None
    late = sensors.device_status(smoke.device_id, now=smoke.installed_at
                                 + dt.timedelta(hours=49))
    assert late["silent"] is True
    matters = sensors.raise_maintenance()  # the sample's devices were never heard from
    assert len(matters) == len(sensors.registry)
    assert "从未" in matters[0]["description"]


def test_an_alarm_is_a_sign_of_life(sensors, clock):
    fume = device_of(sensors, "fume")  # every 10 minutes
    sensors.alarm(fume.device_id, 0.5)  # under the threshold: still heard from
    clock.advance(minutes=15)
    assert sensors.device_status(fume.device_id)["silent"] is False
    clock.advance(minutes=6)
    assert sensors.device_status(fume.device_id)["silent"] is True


def test_devices_are_scoped_to_a_persons_jurisdiction(sensors, small_layers):
    from gridgis.people import StaffMember

    some = device_of(sensors, "smoke")
    grid = some.grid_code
    community = grid[:12]
    worker = StaffMember("wg1", "网格员", "grid_worker", community, grade="grid_head",
                         grids=(grid,))
    mine = sensors.devices(person=worker)
    assert mine and {d["grid_code"] for d in mine} == {grid}
    assert {d["device_id"] for d in mine} == {d.device_id for d in sensors.registry
                                              if d.grid_code == grid}
    town = StaffMember("jd1", "街道", "township", grid[:9])
    assert {d["device_id"] for d in sensors.devices(person=town)} == {
        d.device_id for d in sensors.registry if d.grid_code.startswith(grid[:9])}
    unit = StaffMember("dw1", "单位", "unit", unit_id=small_layers.units["unit_id"].iloc[0])
    assert sensors.devices(person=unit) == []
    assert sensors.devices(person=worker.disabled()) == []
    assert len(sensors.devices()) == len(sensors.registry)
    assert {d["kind"] for d in sensors.devices(kind=("gas", "fume"))} == {"gas", "fume"}


def test_the_maintenance_category_must_exist(dispatcher):
    with pytest.raises(CategoryError, match="Z99"):
        SensorService(dispatcher, settings=dataclasses.replace(SensorSettings(),
                                                               maintenance_category="Z99"))
