"""Assessment (考核) on seven hand-made matters; every expected figure is worked out by hand.

As of NOW (2026-11-10 12:00), with t0 = 2026-11-01 08:00:

=====  =====  ===========  ========  ===================================================
id     grid   source       status    story
=====  =====  ===========  ========  ===================================================
A      G1     grid_worker  closed    everything on time; call back reached, 5
B      G1     hotline      in_prog.  dispatched late, no progress, past resolve: overdue;
                                     returned once, supervised twice
C      G2     grid_worker  rejected  not a valid matter
D      G2     grid_worker  closed    county (level 2); resolved before its progress limit;
                                     verified 30 h after; reached, 3; reopened once
E      G3     app          reported  nothing due yet
F      G3     grid_worker  closed    township (level 1); progress late; call back
                                     unreachable; two whistle calls (U3 came, U4 did not)
G      G1     grid_worker  closed    resolved and closed only after NOW: open and overdue
                                     as of NOW
=====  =====  ===========  ========  ===================================================
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gridgis.analysis.assessment import (
    AREA_COLUMNS,
    area_measures,
    assess,
    load_weights,
    report_in_rates,
    score,
    unit_measures,
    worker_measures,
    workers_table,
)
from gridgis.analysis.seed_figures import platform_rates, seed_figures
from gridgis.errors import InputError
from gridgis.people import StaffMember

NOW = pd.Timestamp("2026-11-10 12:00")
T0 = pd.Timestamp("2026-11-01 08:00")
T1, T2 = "330399001", "330399002"
G1, G2, G3 = "330399001001001", "330399001001002", "330399002001001"
NAT = pd.NaT


def h(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


def call(unit, called, due, came=None):
    return {"unit_id": unit, "called_at": h(called).isoformat(), "due_at": h(due).isoformat(),
            "reason": "需要协同", "reported_in_at": None if came is None else h(came).isoformat(),
            "place": None, "staff": None, "supervised": False}


COLUMNS = ["incident_id", "grid_code", "source", "status", "category", "unit_id",
           "respond_by", "dispatched_at", "progress_by", "progress_at", "resolve_by",
           "resolved_at", "verified_at", "closed_at", "callback_at", "callback_outcome",
           "satisfaction", "escalation_level", "returned", "reopened", "supervisions",
           "whistle_calls", "reported_by", "verified_by"]
ROWS = [
    ("A", G1, "grid_worker", "closed", "D01", "U1", h(24), h(2), h(72), h(30), h(360), h(40),
     h(50), h(60), h(60), "reached", 5.0, 0, 0, 0, 0, [], "W1", "W2"),
    ("B", G1, "hotline", "in_progress", "S02", "U1", h(24), h(30), h(72), NAT, h(120), NAT,
     NAT, NAT, NAT, None, np.nan, 0, 1, 0, 2, [], "citizen", None),
    ("C", G2, "grid_worker", "rejected", "D01", None, h(24), NAT, h(72), NAT, h(360), NAT,
     NAT, h(3), NAT, None, np.nan, 0, 0, 0, 0, [], "W2", None),
    ("D", G2, "grid_worker", "closed", "M01", "U2", h(24), h(1), h(72), NAT, h(72), h(20),
     h(50), h(70), h(70), "reached", 3.0, 2, 0, 1, 0, [], "grid_worker", None),
    ("E", G3, "app", "reported", "U01", None, NOW + pd.Timedelta(hours=1), NAT,
     NOW + pd.Timedelta(hours=48), NAT, NOW + pd.Timedelta(days=14), NAT, NAT, NAT, NAT,
     None, np.nan, 0, 0, 0, 0, [], "app", None),
    ("F", G3, "grid_worker", "closed", "E02", "U2", h(24), h(3), h(72), h(80), h(360), h(100),
     h(110), h(120), h(120), "unreachable", np.nan, 1, 0, 0, 0,
     [call("U3", 10, 34, came=20), call("U4", 10, 34)], None, "W3"),
    ("G", G1, "grid_worker", "closed", "D01", "U1", h(24), h(1), h(72), h(10), h(48),
     NOW + pd.Timedelta(hours=2), NOW + pd.Timedelta(hours=3), NOW + pd.Timedelta(hours=5),
     NOW + pd.Timedelta(hours=5), "reached", 5.0, 0, 0, 0, 0, [], None, None),
]


ROWS_CALLS = [row[COLUMNS.index("whistle_calls")] for row in ROWS]


@pytest.fixture
def frame() -> pd.DataFrame:
    f = pd.DataFrame(ROWS, columns=COLUMNS).set_index("incident_id", drop=False)
    f["reported_at"] = T0
    f["community_code"] = f["grid_code"].str.slice(0, 12)
    f["township_code"] = f["grid_code"].str.slice(0, 9)
    return f


@pytest.fixture
def workers() -> pd.DataFrame:
    return workers_table([
        StaffMember("W1", "甲", "grid_worker", G1[:12], grade="grid_head", grids=(G1,)),
        StaffMember("W2", "乙", "grid_worker", G1[:12], grade="full_time", grids=(G1, G2)),
        StaffMember("W3", "丙", "grid_worker", G3[:12], grade="full_time", grids=(G3,)),
        StaffMember("sq1", "社区", "community", G1[:12])])


def test_seed_figures_by_hand(frame):
    f = seed_figures(frame, now=NOW)
    assert (f["matters"], f["valid"], f["closed"]) == (7, 6, 3)
    assert f["closure_rate"] == pytest.approx(3 / 6)
    # resolve limits passed by NOW: B, D, G; of them only D is closed
    assert f["closure_rate_due"] == pytest.approx(1 / 3)
    assert f["handling_rate"] == pytest.approx(3 / 6)  # A, D, F handled
    assert f["township_or_below_rate"] == pytest.approx(2 / 3)  # A (0) and F (1), not D (2)
    assert (f["rated"], f["satisfied_rate"], f["satisfaction"]) == (2, 0.5, 4.0)
    assert f["deploy_on_time_rate"] == pytest.approx(4 / 5)  # B late; E not due
    assert f["progress_on_time_rate"] == pytest.approx(3 / 5)  # A, D (resolved), G
    assert f["resolve_on_time_rate"] == pytest.approx(3 / 5)  # A, D, F of A B D F G
    assert (f["overdue"], f["escalated"], f["returns"], f["reopened"]) == (2, 2, 1, 1)
    assert (f["supervisions"], f["calls"], f["report_in_rate"]) == (2, 2, 0.5)


def test_township_measures_by_hand(frame):
    towns = area_measures(frame, "township", now=NOW)
    assert list(towns.columns) == list(AREA_COLUMNS)
    t1, t2 = towns.loc[T1], towns.loc[T2]
    assert (t1["matters"], t1["valid"], t2["matters"], t2["valid"]) == (5, 4, 2, 2)
    assert t1["deploy_on_time_rate"] == pytest.approx(3 / 4)
    assert t1["resolve_on_time_rate"] == pytest.approx(2 / 4)
    assert t1["overdue_rate"] == pytest.approx(2 / 4)
    assert t1["found_rate"] == pytest.approx(3 / 4)  # A, D, G (C is rejected)
    assert t1["returned_rate"] == pytest.approx(1 / (4 + 1))  # 1 return, 4 dispatched
    assert t1["reopened_rate"] == pytest.approx(1 / 2)  # D of A, D
    assert t1["satisfaction"] == 4.0 and t1["satisfied_rate"] == 0.5
    assert t2["progress_on_time_rate"] == 0.0  # F reported progress late
    assert (t2["resolve_on_time_rate"], t2["closure_rate"]) == (1.0, 0.5)
    assert np.isnan(t2["satisfaction"])  # F's call back did not reach the reporter


def test_areas_listed_without_matters(frame):
    quiet = "330399002001002"
    grids = area_measures(frame, "grid", now=NOW, codes=[G1, quiet])
    assert list(grids.index) == [G1, quiet]
    assert grids.loc[quiet, "matters"] == 0 and np.isnan(grids.loc[quiet, "closure_rate"])


def test_unit_measures_by_hand(frame):
    units = unit_measures(frame, now=NOW)
    u1, u2 = units.loc["U1"], units.loc["U2"]
    assert u1["matters"] == 3 and u1["resolve_on_time_rate"] == pytest.approx(1 / 3)
    assert u1["returned_rate"] == pytest.approx(1 / 4)  # its held matter B was returned once
    assert u2["resolve_on_time_rate"] == 1.0 and u2["reopened_rate"] == pytest.approx(1 / 2)
    assert (units.loc["U3", "calls"], units.loc["U3", "report_in_rate"]) == (1, 1.0)
    assert units.loc["U3", "report_in_hours"] == pytest.approx(10.0)
    assert (units.loc["U4", "report_in_rate"], units.loc["U4", "matters"]) == (0.0, 0)
    assert np.isnan(units.loc["U4", "report_in_hours"])


def test_a_unit_is_charged_with_its_own_returns(frame):
    frame["returned_units"] = [[], ["U5"], [], [], [], [], []]
    units = unit_measures(frame, now=NOW)
    assert units.loc["U1", "returns"] == 0 and units.loc["U1", "returned_rate"] == 0.0
    assert units.loc["U5", "returns"] == 1 and units.loc["U5", "returned_rate"] == 1.0


def test_report_in_rates_read_json_text(frame):
    frame["whistle_calls"] = [json.dumps(c) for c in frame["whistle_calls"]]
    rates = report_in_rates(frame, now=NOW)
    assert rates.loc["U3", "on_time"] == 1 and rates.loc["U4", "due"] == 1
    assert rates.loc["U4", "reported_in"] == 0
    # times with an offset are read in China time; a call without a time is left out
    frame.loc["F", "whistle_calls"] = json.dumps([
        call("U3", 10, 34) | {"reported_in_at": "2026-11-01T10:00:00+00:00"},
        call("U4", 10, 34) | {"called_at": None}])
    aware = report_in_rates(frame, now=NOW)
    assert list(aware.index) == ["U3"] and aware.loc["U3", "report_in_hours"] == 0.0
    frame["whistle_calls"] = [json.dumps(c) for c in ROWS_CALLS]
    # before the report-in limit, U4's call is not yet due
    early = report_in_rates(frame, now=h(30))
    assert early.loc["U4", "due"] == 0 and np.isnan(early.loc["U4", "report_in_rate"])


def test_worker_measures_by_hand(frame, workers):
    w = worker_measures(frame, workers, now=NOW)
    # A is W1's (named); D names nobody known: G2's only worker W2; F: G3's W3;
    # G names nobody: shared by G1's W1 and W2
    assert w["reports_found"].to_dict() == {"W1": 1.5, "W2": 1.5, "W3": 1.0}
    # A verified by W2 (10 h, on time); D by nobody known: W2 (30 h, late); F by W3
    assert w["verifications"].to_dict() == {"W1": 0.0, "W2": 2.0, "W3": 1.0}
    assert w.loc["W2", "verify_on_time_rate"] == 0.5 and w.loc["W3", "verify_on_time_rate"] == 1
    assert np.isnan(w.loc["W1", "verify_on_time_rate"])
    assert w.loc["W2", "grids"] == f"{G1}、{G2}"


def test_platforms_by_hand(frame):
    p = platform_rates(frame, now=NOW)
    assert list(p.index) == ["comprehensive_governance", "market_regulation",
                             "law_enforcement", "public_service"]
    # comprehensive governance: A (handled), G (not yet) — C is rejected
    assert (p.loc["comprehensive_governance", "valid"],
            p.loc["comprehensive_governance", "handling_rate"]) == (2, 0.5)
    assert p.loc["market_regulation", "handling_rate"] == 1.0  # D
    # law enforcement: B (S02, open) and F (E02, closed)
    assert p.loc["law_enforcement", "handling_rate"] == 0.5
    assert p.loc["public_service", "handling_rate"] == 0.0  # E
    assert p["share"].sum() == pytest.approx(1.0)
    assert p.loc["law_enforcement", "name_zh"] == "综合执法"


def test_an_archive_without_the_new_columns_gives_nan_not_an_error(frame):
    archive = frame.drop(columns=["progress_by", "progress_at", "callback_at",
                                  "callback_outcome", "whistle_calls", "supervisions",
                                  "returned", "reported_by", "verified_by"])
    f = seed_figures(archive, now=NOW)
    for name in ("progress_on_time_rate", "supervisions", "returns", "calls",
                 "report_in_rate"):
        assert np.isnan(f[name]), name
    # without call-back outcomes every recorded score counts (closed by NOW): A, D
    assert f["rated"] == 2 and f["satisfaction"] == 4.0
    assert f["closure_rate"] == pytest.approx(3 / 6)
    units = unit_measures(archive, now=NOW)
    assert units["report_in_rate"].isna().all() and units["calls"].eq(0).all()
    assert area_measures(archive, "grid", now=NOW)["progress_on_time_rate"].isna().all()


def test_escalation_after_dispatch_waits_for_a_new_dispatch(frame):
    frame["escalated_at"] = NAT
    frame.loc["B", "escalated_at"] = h(40)  # escalated after its dispatch at h(30)
    frame.loc["B", "respond_by"] = h(64)  # the new level's deploy limit
    # B went on after the escalation (in progress): deployed again, on time by its dispatch
    assert seed_figures(frame, now=NOW)["deploy_on_time_rate"] == pytest.approx(5 / 5)
    frame.loc["B", "status"] = "accepted"  # waiting for the new level's dispatch
    f = seed_figures(frame, now=NOW)
    assert f["deploy_on_time_rate"] == pytest.approx(4 / 5)  # due, not deployed
    assert f["overdue"] == 2  # B was overdue already (resolve); G
    frame.loc["B", "resolve_by"] = NOW + pd.Timedelta(days=3)
    assert seed_figures(frame, now=NOW)["overdue"] == 2  # now overdue on its deploy stage
    assert seed_figures(frame, now=h(50))["overdue"] == 1  # G only: B is within its new limit


def test_weights_decide_the_ranks():
    table = pd.DataFrame({"resolve_on_time_rate": [0.9, 0.6], "satisfaction": [3.0, 5.0]},
                         index=["x", "y"])
    by_time = pd.DataFrame({"weight": [3.0, 1.0], "direction": ["higher", "higher"]},
                           index=["resolve_on_time_rate", "satisfaction"])
    ranked = score(table, by_time)
    # x: (3 × 0.9 + 1 × 0.5) / 4 = 0.8; y: (3 × 0.6 + 1 × 1.0) / 4 = 0.7
    assert ranked["score"].to_dict() == {"x": 80.0, "y": 70.0}
    assert ranked["rank"].to_dict() == {"x": 1, "y": 2}
    by_people = by_time.assign(weight=[1.0, 3.0])
    ranked = score(table, by_people)
    # x: (0.9 + 3 × 0.5) / 4 = 0.6; y: (0.6 + 3 × 1.0) / 4 = 0.9
    assert ranked["score"].to_dict() == {"x": 60.0, "y": 90.0}
    assert ranked["rank"].to_dict() == {"x": 2, "y": 1}


def test_lower_is_better_and_missing_values_leave_the_weight_out():
    table = pd.DataFrame({"overdue_rate": [0.1, np.nan, 0.5], "reports_found": [4, 2, 0]},
                         index=["a", "b", "c"])
    weights = pd.DataFrame({"weight": [1.0, 1.0], "direction": ["lower", "higher"]},
                           index=["overdue_rate", "reports_found"])
    s = score(table, weights)["score"]
    # a: (0.9 + 4/4) / 2; b: only reports found, 2/4; c: (0.5 + 0) / 2
    assert s.to_dict() == {"a": 95.0, "b": 50.0, "c": 25.0}
    zero = score(table, weights.assign(weight=[0.0, 0.0]))
    assert zero["score"].isna().all() and zero["rank"].isna().all()


def test_the_shipped_weights_and_a_replacement(tmp_path, frame):
    shipped = load_weights()
    assert set(shipped["direction"]) <= {"higher", "lower"} and (shipped["weight"] >= 0).all()
    own = tmp_path / "weights.csv"
    own.write_text("measure,weight,direction\noverdue_rate,1,lower\n", encoding="utf-8")
    ranked = assess(frame, now=NOW, weights=load_weights(own)).levels["township"]
    # only overdue now counts: T2 has none (score 100), T1 two of four (50)
    assert ranked["score"].to_dict() == {T2: 100.0, T1: 50.0}
    assert list(ranked.index) == [T2, T1]


@pytest.mark.parametrize(("text", "match"), [
    ("measure,weight,direction\nspeed,1,higher\n", "unknown measure"),
    ("measure,weight,direction\noverdue_rate,-1,lower\n", "number ≥ 0"),
    ("measure,weight,direction\noverdue_rate,x,lower\n", "number ≥ 0"),
    ("measure,weight,direction\noverdue_rate,1,down\n", "higher or lower"),
    ("measure,weight,direction\noverdue_rate,1,lower\noverdue_rate,2,lower\n", "twice"),
    ("measure,weight\noverdue_rate,1\n", "lacks direction"),
])
def test_a_bad_weights_table_names_its_row(tmp_path, text, match):
    path = tmp_path / "w.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match) as caught:
        load_weights(path)
    assert caught.value.field == "weights"


def test_assess_ranks_every_level(frame, workers):
    a = assess(frame, now=NOW, workers=workers)
    assert set(a.levels) == {"township", "community", "grid", "unit", "grid_worker"}
    workers_ranked = a.levels["grid_worker"]
    assert workers_ranked["rank"].iloc[0] == 1
    assert workers_ranked["score"].is_monotonic_decreasing
    assert a.report_in.loc["U3", "report_in_rate"] == 1.0


@pytest.mark.parametrize("module", ["gridgis.analysis.assessment",
                                    "gridgis.analysis.seed_figures", "gridgis.store.frame"])
def test_the_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
