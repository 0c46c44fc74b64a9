"""The sample's archive follows the loop as practised: its columns obey the loop's rules."""

import json

import numpy as np
import pandas as pd
import pytest

from gridgis import load_categories
from gridgis.dispatch import seed
from gridgis.sample import SAMPLE_END
from gridgis.sample._loop_history import (
    COUNTY_REASONS,
    SHELVE_AFTER,
    START_AFTER,
    TOWNSHIP_REASONS,
)
from gridgis.sample._supervision import (
    CLOSE,
    REPORT_IN,
    STAGE,
    SWEEP_MINUTES,
    WHISTLE,
    supervise,
)

END = pd.Timestamp(SAMPLE_END)
QUARTER = pd.Timedelta(minutes=15)


@pytest.fixture(scope="module")
def inc(sample_layers):
    return sample_layers.incidents


@pytest.fixture(scope="module")
def limits(inc):
    table = load_categories()
    return {k: inc["category"].map(table[k]) for k in ("respond", "progress", "resolve")}


@pytest.fixture(scope="module")
def calls(inc):
    rows = []
    for iid, text in inc["whistle_calls"].dropna().items():
        for call in json.loads(text):
            rows.append({"incident_id": iid, **call})
    out = pd.DataFrame(rows)
    for col in ("called_at", "due_at", "reported_in_at"):
        out[col] = pd.to_datetime(out[col])
    return out


def _rounds(inc):
    return inc["reopenings"].map(lambda t: json.loads(t) if isinstance(t, str) else [])


def _tick_after(t):
    return t.dt.floor("15min") + QUARTER


def test_deadlines_count_from_the_level_that_holds_the_matter(inc, limits):
    start = inc["escalated_at"].fillna(inc["reported_at"])
    assert (inc["respond_by"] == start + limits["respond"]).all()
    assert (inc["progress_by"] == start + limits["progress"]).all()
    rounds = _rounds(inc)
    reopened = rounds.map(len) > 0
    assert (inc.loc[~reopened, "resolve_by"] == (start + limits["resolve"])[~reopened]).all()
    last_call = pd.to_datetime(rounds[reopened].map(lambda r: r[-1]["callback_at"]))
    assert (inc.loc[reopened, "resolve_by"] == last_call + limits["resolve"][reopened]).all()


def test_every_escalated_matter_went_up_with_a_reason_before_its_dispatch(inc):
    level = inc["escalation_level"]
    up = level >= 1
    assert (inc["escalated_at"].notna() == up).all()
    assert (inc["escalation_reason"].notna() == up).all()
    assert (inc.loc[up, "escalated_at"] >= inc.loc[up, "accepted_at"]).all()
    sent = up & inc["dispatched_at"].notna()
    assert (inc.loc[sent, "dispatched_at"] > inc.loc[sent, "escalated_at"]).all()
    parts = inc.loc[up, "escalation_reason"].str.split("；")
    assert (parts.map(len) == level[up]).all()  # one reason per step up
    assert parts.map(lambda p: p[0] in TOWNSHIP_REASONS).all()
    assert parts[level[up] == 2].map(lambda p: p[1] in COUNTY_REASONS).all()
    assert (inc.loc[inc["status"] == "rejected", "escalation_level"] == 0).all()


def test_progress_is_reported_after_the_dispatch_mostly_in_time(inc):
    has = inc["progress_at"].notna()
    assert (inc.loc[has, "progress_at"] > inc.loc[has, "dispatched_at"]
            + pd.Timedelta(minutes=30)).all()
    first_resolved = _rounds(inc).map(lambda r: r[0]["resolved_at"] if r else None)
    first_resolved = pd.to_datetime(first_resolved).fillna(inc["resolved_at"])
    done = has & first_resolved.notna()
    assert (inc.loc[done, "progress_at"] < first_resolved[done]).all()
    assert ((inc["progress_reports"] >= 1) == has).all()
    assert inc["progress_reports"].max() <= 6  # every period, until the resolve deadline
    late = (inc["progress_at"] > inc["progress_by"])[has].mean()
    assert 0.05 < late < 0.2
    # none before the dispatch, none for the matters shelved or dispatched moments ago
    assert not inc.loc[inc["status"].isin(["reported", "accepted", "rejected", "dispatched",
                                           "shelved"]), "progress_at"].notna().any()
    working = (inc["dispatched_at"] < END - pd.Timedelta(days=4)) & (inc["status"] != "shelved")
    assert inc.loc[working, "progress_at"].notna().mean() > 0.99  # a few late ones are due
    long_ago = working & (inc["dispatched_at"] < END - pd.Timedelta(days=60))
    assert inc.loc[long_ago, "progress_at"].notna().all()


def test_whistles_call_departments_that_report_in(inc, calls, sample_layers):
    units = sample_layers.units.set_index("unit_id")
    table = load_categories()
    several = [c for c, kinds in table["unit_kinds"].items()
               if c[0] in "DX" or (c[0] in "ES" and len(kinds) > 1)]
    candidates = inc[inc["category"].isin(several) & (inc["escalation_level"] == 0)
                     & inc["dispatched_at"].notna()]
    whistled = inc["whistle_calls"].notna()
    assert 0.08 <= whistled[candidates.index].mean() <= 0.12
    assert not (whistled & ~inc.index.isin(candidates.index)).any()
    per = calls.groupby("incident_id")
    assert per.size().between(2, 4).all()
    assert (per["unit_id"].nunique() == per.size()).all()  # no department called twice
    assert calls["unit_id"].isin(units.index).all()
    kinds = calls["unit_id"].map(units["kind"])
    own = [k in table.at[inc.at[i, "category"], "unit_kinds"]
           for i, k in zip(calls["incident_id"], kinds, strict=True)]
    assert np.mean(own) > 0.6  # mostly the kinds the category names
    near = calls["unit_id"].map(units["township_code"]) == calls["incident_id"].map(
        inc["township_code"])
    assert near[kinds.isin(["police_station", "mediation_committee"])].all()
    assert (calls["called_at"] >= calls["incident_id"].map(inc["dispatched_at"])).all()
    assert (calls["called_at"] <= END).all()
    came = calls["reported_in_at"].notna()
    assert (calls.loc[came, "reported_in_at"] > calls.loc[came, "called_at"]).all()
    assert (calls.loc[came, "reported_in_at"] <= END).all()
    assert (calls.loc[came, "late"] == (calls["reported_in_at"] > calls["due_at"])[came]).all()
    assert calls.loc[~came, "late"].isna().all()
    assert calls.loc[came, "place"].str.endswith("党群服务中心").all()
    assert calls.loc[came, "staff"].str.len().gt(1).all()
    assert calls.loc[~came, ["place", "staff"]].isna().all().all()
    due_long_ago = calls["due_at"] < END - pd.Timedelta(days=3)
    late_share = calls.loc[due_long_ago, "late"].eq(True).mean()
    never_share = (~came)[due_long_ago].mean()
    assert 0.08 < late_share < 0.18 and 0.02 < never_share < 0.09
    # per-department rates differ: labour inspection comes late more often than the police
    rate = calls[due_long_ago].assign(kind=kinds).groupby("kind")["late"].apply(
        lambda s: s.eq(True).mean())
    assert rate["labour_inspection"] > rate["police_station"]
    # the matter is resolved after the departments came
    resolved = calls["incident_id"].map(inc["resolved_at"])
    first = _rounds(inc).map(lambda r: r[0]["resolved_at"] if r else None)
    resolved = pd.to_datetime(calls["incident_id"].map(first)).fillna(resolved)
    ok = came & resolved.notna()
    assert (calls.loc[ok, "reported_in_at"] < resolved[ok]).all()


def test_overdue_report_ins_are_supervised(inc, calls):
    closed = calls["incident_id"].map(inc["closed_at"]).fillna(END)
    sweep = _tick_after(calls["due_at"])
    missed = (calls["reported_in_at"].isna() | (calls["reported_in_at"] > sweep)) & (
        sweep < closed) & (sweep <= END)
    assert missed.sum() > 20
    assert (calls["supervised"] == missed).all()
    supervised = calls.loc[calls["supervised"], "incident_id"].unique()
    assert (inc.loc[supervised, "supervisions"] >= 1).all()


def test_callbacks_close_or_reopen(inc):
    closed = inc["status"] == "closed"
    assert (inc.loc[closed, "callback_at"] == inc.loc[closed, "closed_at"]).all()
    assert (inc.loc[closed, "callback_at"] >= inc.loc[closed, "verified_at"]).all()
    assert inc["callback_outcome"].notna().equals(inc["callback_at"].notna())
    reached = inc["callback_outcome"] == "reached"
    assert inc["satisfaction"].notna().equals(reached)
    assert 0.03 < (inc.loc[closed, "callback_outcome"] == "unreachable").mean() < 0.08
    assert (inc.loc[closed & reached, "satisfaction"] >= 3).all()  # the FINAL call back
    rounds = _rounds(inc)
    assert (rounds.map(len) == inc["reopened"]).all()
    assert 0.02 < (inc["reopened"] > 0).mean() < 0.1
    for iid, earlier in rounds[rounds.map(len) > 0].items():
        times = [pd.Timestamp(r[k]) for r in earlier
                 for k in ("resolved_at", "verified_at", "callback_at")]
        assert times == sorted(times), iid
        assert all(r["satisfaction"] < 3 for r in earlier), iid  # only a low rating reopens
        row = inc.loc[iid]
        if pd.notna(row["resolved_at"]):
            assert row["resolved_at"] > times[-1], iid
        if row["status"] not in ("closed", "reopened") and pd.notna(row["callback_at"]):
            # still open in a later round: the latest call back is the dissatisfied one
            assert row["callback_at"] == times[-1] and row["satisfaction"] < 3
    reopened_open = (inc["reopened"] > 0) & ~closed
    assert (inc.loc[reopened_open, "callback_at"] < END).all()


def test_overdue_stages_are_supervised_and_timely_ones_not(inc, limits):
    closed = (inc["status"] == "closed") & (inc["reopened"] == 0)
    late_resolve = closed & (inc["resolved_at"] > _tick_after(inc["resolve_by"]))
    assert late_resolve.sum() > 100
    assert (inc.loc[late_resolve, "supervisions"] >= 1).all()
    went_up_in_time = inc["escalated_at"].isna() | (
        inc["escalated_at"] <= inc["reported_at"] + limits["respond"])
    timely = (closed & inc["whistle_calls"].isna() & went_up_in_time
              & (inc["dispatched_at"] <= inc["respond_by"])
              & (inc["progress_at"] <= inc["progress_by"])
              & (inc["resolved_at"] <= inc["resolve_by"])
              & (inc["verified_at"] <= inc["resolved_at"] + pd.Timedelta(hours=24))
              & (inc["callback_at"] <= inc["verified_at"] + pd.Timedelta(hours=72)))
    assert timely.sum() > 10_000
    assert (inc.loc[timely, "supervisions"] == 0).all()
    assert (inc.loc[inc["status"] == "rejected", "supervisions"] == 0).all()


def test_the_seeds_figures_come_out(inc):
    valid = inc["status"] != "rejected"
    closed = inc["status"] == "closed"
    old = valid & (inc["resolve_by"] < END)
    closure = closed[old].mean()
    assert 0.94 <= closure <= 0.98  # the seeds: 96.5 % closed
    township_or_below = (inc.loc[closed, "escalation_level"] <= 1).mean()
    assert 0.95 <= township_or_below <= 0.99  # the seeds: 95 %+ at township or below
    rating = inc.loc[closed, "satisfaction"].dropna()
    assert (rating >= 4).mean() > 0.8 and rating.mean() > 4.2
    assert {"closed", "in_progress", "shelved", "rejected"} <= set(inc["status"])


def test_photos_are_on_grid_workers_and_law_enforcement_matters(inc):
    law = inc["category"].map(load_categories()["platform"]) == "law_enforcement"
    photos = inc["has_photos"]
    assert photos.dtype == bool
    assert 0.75 < photos[inc["source"] == "grid_worker"].mean() < 0.95
    assert photos[law & inc["resolved_at"].notna()].mean() > 0.9
    assert photos[(inc["source"] == "hotline") & ~law].mean() == 0


def test_the_sweep_notices_each_overdue_stage_once():
    # a stage due at minute 60, another (due 200) from minute 100: each swept once
    assert supervise([(0, 0, STAGE, 60), (100, 1, STAGE, 200)], [], 300) == (2, set())
    # the first stage ended before the sweep after its deadline (minute 75)
    assert supervise([(0, 0, STAGE, 60), (75, 1, STAGE, 200)], [], 300) == (1, set())
    # the same deadline again is not noticed twice; nothing after the end of the archive
    assert supervise([(0, 0, STAGE, 60), (100, 1, STAGE, 60)], [], 300) == (1, set())
    assert supervise([(0, 0, STAGE, 60)], [], 70) == (0, set())
    # a call past its report-in limit: one notice, the stage's with it when both are overdue
    events = [(0, 0, STAGE, 1000), (10, 1, WHISTLE, [0, 1]), (20, 2, REPORT_IN, 0)]
    assert supervise(events, [30, 30], 2000) == (2, {1})
    # late, but before the sweep (an event at the sweep's moment comes first): no notice
    assert supervise([*events, (40, 3, REPORT_IN, 1)], [30, 30], 2000) == (1, set())
    assert supervise([*events, (45, 3, REPORT_IN, 1)], [30, 30], 2000) == (1, set())
    assert supervise([*events, (50, 3, REPORT_IN, 1)], [30, 30], 2000) == (2, {1})
    assert supervise([*events, (50, 3, CLOSE, None)], [30, 30], 2000) == (1, {1})


def test_the_archive_and_the_seed_read_the_unwritten_moments_alike():
    # the moments the archive has no column for: the seed takes the steps at the same ones
    assert pd.Timedelta(START_AFTER) == seed.START_AFTER
    assert pd.Timedelta(SHELVE_AFTER) == seed.SHELVE_AFTER
    assert pd.Timedelta(minutes=SWEEP_MINUTES) == seed.SWEEP
