"""The sensors' tables: made on open where missing, checked with the rest, state kept right."""

import datetime as dt

import pytest

from gridgis.errors import StoreError
from gridgis.sensors import AlarmOutcome

T0 = dt.datetime(2026, 11, 2, 9)


def test_an_older_store_gains_the_tables_on_open(backend):
    backend.open().close()
    backend.sql("DROP TABLE sensor_alarms")  # a store written before the sensors existed
    backend.sql("DROP TABLE sensor_state")
    store = backend.open()
    try:
        store.check(writable=True)
        store.sensors.heartbeat("YG0001", T0)
        assert store.sensors.state("YG0001").last_heartbeat_at == T0
    finally:
        store.close()
    reopened = backend.open()  # and opening again changes nothing
    assert reopened.sensors.state("YG0001").last_heartbeat_at == T0
    reopened.close()


def test_a_missing_column_is_named_by_the_check(backend):
    backend.open().close()
    backend.sql("ALTER TABLE sensor_alarms DROP COLUMN category")
    with pytest.raises(StoreError, match=r"sensor_alarms\.category"):
        backend.open()


def test_late_messages_never_move_the_state_back(backend):
    store = backend.open()
    log = store.sensors
    log.heartbeat("SW0001", T0)
    log.heartbeat("SW0001", T0 - dt.timedelta(hours=1))  # delivered late
    log.record("SW0001", at=T0 + dt.timedelta(minutes=5), reading=3.0, over=False,
               outcome=AlarmOutcome.NORMAL, received_at=T0)
    log.record("SW0001", at=T0 - dt.timedelta(minutes=5), reading=30.0, over=True,
               outcome=AlarmOutcome.RAISED, received_at=T0, category="E01", incident_id="E1")
    state = log.state("SW0001")
    assert state.last_heartbeat_at == T0
    assert state.last_seen_at == T0 + dt.timedelta(minutes=5)
    assert (state.last_reading, state.last_reading_at) == (3.0, T0 + dt.timedelta(minutes=5))
    assert state.last_alarm_at == T0 - dt.timedelta(minutes=5)
    assert (state.alarm_incident_id, state.alarm_count, state.episodes) == ("E1", 1, 1)
    assert [r["reading"] for r in log.alarms("SW0001")] == [3.0, 30.0]  # newest first
    assert log.state("NEVER").alarm_count == 0 and log.state("NEVER").last_seen_at is None
    assert set(log.states()) == {"SW0001"}
    store.close()


def test_racing_writers_count_an_episode_once_in_either_order(backend):
    store = backend.open()
    log = store.sensors
    # the writer that found the incident by its key records first, the creator second
    log.record("RQ0001", at=T0, reading=30.0, over=True, outcome=AlarmOutcome.FOLDED,
               received_at=T0, category="S04", incident_id="E9")
    log.record("RQ0001", at=T0, reading=31.0, over=True, outcome=AlarmOutcome.RAISED,
               received_at=T0, category="S04", incident_id="E9")
    state = log.state("RQ0001")
    assert (state.alarm_incident_id, state.alarm_count, state.episodes) == ("E9", 2, 1)
    log.set_maintenance("RQ0001", "E10")
    log.set_maintenance("RQ0001", "E10")  # recorded by two sweeps: one matter
    assert log.state("RQ0001").maintenance_count == 1
    store.close()
