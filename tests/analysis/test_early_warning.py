from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gridgis.analysis import early_warning, rate_increase_pvalue
from gridgis.errors import LayerError

END = pd.Timestamp("2026-11-01")
ALPHA = 0.05


def incidents_from_daily(series: dict[tuple[str, str], np.ndarray],
                         end: pd.Timestamp = END) -> pd.DataFrame:
    """An incidents frame with the given daily counts per (township, category)."""
    frames = []
    for (town, cat), counts in series.items():
        days = pd.date_range(end=end - pd.Timedelta(days=1), periods=len(counts), freq="D")
        stamps = np.repeat(days.to_numpy(), counts) + np.timedelta64(10, "h")
        frames.append(pd.DataFrame({"reported_at": stamps, "category": cat,
                                    "township_code": town}))
    return pd.concat(frames, ignore_index=True)


def test_pvalue_by_hand():
    assert rate_increase_pvalue(2, 0, window_days=1, baseline_days=1) == pytest.approx(0.25)
    assert rate_increase_pvalue(3, 1, window_days=7, baseline_days=7) == pytest.approx(5 / 16)
    assert rate_increase_pvalue(0, 9, window_days=7, baseline_days=7) == 1.0
    with pytest.raises(ValueError, match="positive"):
        rate_increase_pvalue(1, 1, window_days=0, baseline_days=7)


def test_handmade_series_by_hand():
    base = np.zeros(308, int)
    base[:280:10] = 1  # 28 reports in the 280 baseline days
    surge = base.copy()
    surge[280:] = 0
    surge[280:292] = 1  # 12 reports in the last 28 days
    calm = base.copy()
    calm[280:] = 0
    calm[[281, 290, 300]] = 1  # 3 in the last 28 days
    table = early_warning(incidents_from_daily({("330399001", "D06"): surge,
                                                ("330399002", "D06"): calm}),
                          window_days=28, correction="none",
                          start=END - pd.Timedelta(days=308), end=END)
    row = table.loc[("330399001", "D06")]
    assert (row["recent"], row["baseline"]) == (12, 28)
    assert row["expected"] == pytest.approx(2.8)
    assert row["ratio"] == pytest.approx(12 / 2.8)
    assert row["excess"] == pytest.approx(9.2)
    assert row["p_value"] == pytest.approx(stats.binom.sf(11, 40, 28 / 308))
    assert row["alert"]
    assert not table.loc[("330399002", "D06"), "alert"]
    assert table.index.names == ["township_code", "category"]
    assert table.attrs["tests"] == 2


def test_planted_surge_alerts_among_stationary_series():
    rng = np.random.default_rng(11)
    series = {(f"3303990{i:02d}", cat): rng.poisson(rate, 364)
              for i in range(1, 15) for cat, rate in (("D01", 1.5), ("E02", 0.8),
                                                      ("D06", 0.1))}
    surged = series[("330399002", "D06")].copy()
    surged[-28:] = rng.poisson(0.1 * 4, 28)  # the rate quadruples in the last four weeks
    series[("330399002", "D06")] = surged
    table = early_warning(incidents_from_daily(series))
    alerts = table.index[table["alert"]].tolist()
    assert ("330399002", "D06") in alerts
    assert len(alerts) <= 2  # FDR: at most an occasional false alarm


def test_min_count_and_district_level():
    series = {("330399001", "X01"): np.r_[np.zeros(300, int), np.zeros(26, int), [1, 1]]}
    start = END - pd.Timedelta(days=328)
    table = early_warning(incidents_from_daily(series), start=start, end=END)
    assert not table["alert"].any()  # 2 reports from none: not enough to act on
    assert table["p_value"].iloc[0] == pytest.approx((28 / 328) ** 2)
    district = early_warning(incidents_from_daily(series), level="district", start=start)
    assert district.index.tolist() == [("district", "X01")]


def test_false_alarm_rate_per_series_is_at_most_nominal():
    # 40,000 stationary series of many sizes: the uncorrected test rejects at most
    # alpha of them (the exact test is conservative because counts are discrete)
    rng = np.random.default_rng(2026)
    n = 40_000
    rate = rng.uniform(0.05, 5.0, n)
    window, baseline = 28, 336
    recent = rng.poisson(rate * window)
    history = rng.poisson(rate * baseline)
    p = rate_increase_pvalue(recent, history, window_days=window, baseline_days=baseline)
    false_alarms = np.mean(p <= ALPHA)
    assert false_alarms <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / n)
    assert false_alarms > 0.01  # and not uselessly conservative


def test_false_alarm_rate_of_corrected_families_is_at_most_nominal():
    # 300 "districts" of 30 stationary township x category series each, through the
    # full early_warning: the share of districts with any alert stays at alpha
    rng = np.random.default_rng(7)
    families = 300
    any_alert = 0
    for _ in range(families):
        rates = rng.uniform(0.05, 2.0, 30)
        counts = rng.poisson(rates[:, None], (30, 364))
        frame = incidents_from_daily({(f"3303990{i:02d}", "D01"): counts[i]
                                      for i in range(30)})
        table = early_warning(frame, min_count=0)
        any_alert += bool(table["alert"].any())
    share = any_alert / families
    assert share <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / families)


def test_errors():
    frame = incidents_from_daily({("330399001", "D01"): np.ones(60, int)})
    with pytest.raises(LayerError, match="category"):
        early_warning(frame.drop(columns="category"))
    with pytest.raises(ValueError, match="level"):
        early_warning(frame, level="county")
    with pytest.raises(ValueError, match="no history"):
        early_warning(frame, window_days=90)
