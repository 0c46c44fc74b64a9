import collections
import datetime as dt
import json

import pandas as pd
import pytest

from gridgis.dispatch import Dispatcher
from gridgis.dispatch.seed import seed_open_incidents
from gridgis.sample import SAMPLE_END
from gridgis.store import SQLiteStore

NOW = SAMPLE_END.astype("datetime64[s]").item()
RECORD = ["status", "escalation_level", "unit_id", "respond_by", "progress_by", "resolve_by",
          "accepted_at", "dispatched_at", "progress_at", "progress_reports", "resolved_at",
          "verified_at", "callback_at", "callback_outcome", "satisfaction", "reopened",
          "supervisions"]
"""Fields of the record that the archive's columns of the same name must equal."""
CALL = ["unit_id", "called_at", "due_at", "reason", "reported_in_at", "place", "staff",
        "supervised", "late"]


def _plain(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


@pytest.fixture(scope="module")
def seeded(small_layers):
    d = Dispatcher(small_layers, SQLiteStore(":memory:"), clock=lambda: NOW)
    archive = small_layers.incidents
    ticks: list[tuple[int, int]] = []
    n = seed_open_incidents(d, archive, progress=lambda done, total: ticks.append((done, total)))
    total = n  # nothing was there before: every open incident is written
    assert ticks[0] == (0, total) and ticks[-1] == (total, total)
    assert [done for done, _ in ticks] == sorted(done for done, _ in ticks)  # the bar only grows
    by_archive = {}
    for item in d.incidents(limit=10_000).items:
        events = d.store.events(item["incident_id"])
        by_archive[events[0]["data"]["archive_id"]] = (d.store.get(item["incident_id"]), events)
    return d, n, by_archive


def test_open_archive_incidents_arrive_with_their_state_and_history(small_layers, seeded):
    d, n, _ = seeded
    archive = small_layers.incidents
    open_ = archive[~archive["status"].isin(["closed", "rejected"])]
    assert n == len(open_) > 10
    assert seed_open_incidents(d, archive) == 0  # idempotent
    page = d.incidents(limit=10_000)
    got = collections.Counter(i["status"] for i in page.items)
    assert got == collections.Counter(open_["status"])
    shelved = [i for i in page.items if i["status"] == "shelved"]
    # 1-3-0 "0": a shelved matter stays on the board, watched by its review limit
    assert shelved and all(i["stage"] == "review" and i["light"] != "none" for i in shelved)
    for item in page.items:  # the store's light agrees with the service's rule
        assert item["light"] == d.decorate(d.store.get(item["incident_id"]), NOW)["light"]
    assert NOW - dt.timedelta(days=400) < min(i["reported_at"] for i in page.items)


def test_the_seeded_records_are_the_archives(small_layers, seeded):
    d, _, by_archive = seeded
    archive = small_layers.incidents.set_index("incident_id", drop=False)
    for aid, (record, _) in by_archive.items():
        row = archive.loc[aid]
        for field in RECORD:
            assert record[field] == _plain(row[field]), (aid, field)
        calls = json.loads(row["whistle_calls"]) if isinstance(row["whistle_calls"], str) else []
        assert [{k: c.get(k) for k in CALL} for c in record["whistle_calls"]] == calls, aid
    count, breaks = d.store.audit()
    assert count == sum(len(events) for _, events in by_archive.values()) and breaks == []


def test_the_history_is_taken_step_by_step(small_layers, seeded):
    _, _, by_archive = seeded
    archive = small_layers.incidents.set_index("incident_id", drop=False)
    kinds = collections.Counter()
    for aid, (_, events) in by_archive.items():
        row = archive.loc[aid]
        actions = [e["action"] for e in events]
        at = [e["at"] for e in events]
        assert at == sorted(at), aid
        steps = [a for a in actions if a not in ("supervise", "whistle", "report_in")]
        expected = ["report"] + (["accept"] if pd.notna(row["accepted_at"]) else [])
        expected += ["escalate"] * int(row["escalation_level"])
        if pd.notna(row["dispatched_at"]):
            expected.append("dispatch")
            if row["status"] not in ("dispatched", "shelved"):
                expected.append("start")
            expected += ["progress"] * int(row["progress_reports"])
        if row["status"] == "shelved":
            expected.append("shelve")
        for _ in range(int(row["reopened"])):
            expected += ["resolve", "verify", "callback"]
            expected += ["start"] if row["status"] != "reopened" else []
        expected += ["resolve"] if pd.notna(row["resolved_at"]) else []
        expected += ["verify"] if pd.notna(row["verified_at"]) else []
        assert steps == expected, aid
        assert actions.count("supervise") == row["supervisions"], aid
        level = int(row["escalation_level"])
        ups = [e for e in events if e["action"] == "escalate"]
        if level:
            kinds["escalated"] += 1
            assert [e["note"] for e in ups] == row["escalation_reason"].split("；")
            assert [e["data"]["to"] for e in ups] == ["township", "county"][:level]
            assert all(e["at"] == row["escalated_at"] for e in ups)
            dispatch = next(e for e in events if e["action"] == "dispatch")
            assert dispatch["from_state"] == "accepted" and dispatch["at"] > ups[-1]["at"]
        if isinstance(row["whistle_calls"], str):
            kinds["whistled"] += 1
            calls = json.loads(row["whistle_calls"])
            whistle = [e for e in events if e["action"] == "whistle"]
            assert len(whistle) == 1 and whistle[0]["note"] == calls[0]["reason"]
            assert whistle[0]["data"]["unit_ids"] == [c["unit_id"] for c in calls]
            assert whistle[0]["at"].isoformat() == calls[0]["called_at"]
            came = {c["unit_id"]: c for c in calls if c["reported_in_at"]}
            report_ins = [e for e in events if e["action"] == "report_in"]
            assert {e["data"]["unit_id"] for e in report_ins} == set(came)
            for e in report_ins:
                call = came[e["data"]["unit_id"]]
                assert e["at"].isoformat() == call["reported_in_at"]
                assert (e["data"]["late"], e["data"]["place"]) == (call["late"], call["place"])
        if row["reopened"]:
            kinds["reopened"] += 1
            rounds = json.loads(row["reopenings"])
            backs = [e for e in events if e["action"] == "callback"]
            assert [e["data"]["satisfaction"] for e in backs] == [r["satisfaction"]
                                                                  for r in rounds]
            assert all(e["to_state"] == "reopened" for e in backs)
    # the small district has each kind of history among its open matters
    assert kinds["escalated"] and kinds["whistled"] and kinds["reopened"]


def test_an_archive_without_the_loop_columns_loads_with_its_timestamps(small_layers):
    archive = small_layers.incidents
    loop = ["progress_by", "progress_at", "progress_reports", "escalated_at",
            "escalation_reason", "whistle_calls", "supervisions", "callback_at",
            "callback_outcome", "reopenings", "has_photos"]
    bare = archive.drop(columns=loop)
    bare = bare[~bare["status"].isin(["closed", "rejected"]) & (bare["reopened"] == 0)]
    d = Dispatcher(small_layers, SQLiteStore(":memory:"), clock=lambda: NOW)
    assert seed_open_incidents(d, bare, until=NOW - dt.timedelta(days=400)) == len(bare)
    items = d.incidents(limit=10_000).items
    assert collections.Counter(i["status"] for i in items) == collections.Counter(
        bare["status"])
    assert collections.Counter(i["escalation_level"] for i in items) == collections.Counter(
        bare["escalation_level"])
    assert all(i["supervisions"] == 0 for i in items)  # no sweep before the archive began
    assert not any(i["whistle_calls"] or i["progress_reports"] for i in items)
