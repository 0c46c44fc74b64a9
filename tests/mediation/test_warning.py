"""Early warning: the planted medical rise is found, flat series stay quiet, notices recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridgis.mediation.sample import MEDICAL_SURGE
from gridgis.mediation.warning import after_alert, monthly_counts, scan, warn


def _hot_township(cases: pd.DataFrame) -> str:
    med = cases[cases["dispute_type"] == "M06"]
    return med["grid_code"].str[:9].value_counts().index[0]


def test_the_medical_rise_is_found_before_the_warning(mediation_sample):
    cases = mediation_sample.cases
    alerts = scan(cases, start="2024-06", end=MEDICAL_SURGE["warned_month"])
    town = _hot_township(cases)
    medical = alerts[(alerts["dimension"] == "area_type")
                     & (alerts["key"] == f"{town}×M06")]
    assert not medical.empty, alerts[["month", "key", "p_adjusted"]]
    first = medical["month"].min()
    assert MEDICAL_SURGE["first_month"] <= first <= MEDICAL_SURGE["warned_month"]
    row = medical.iloc[0]
    assert row["authority"] == "区卫生健康局"
    assert row["p_adjusted"] < 0.01 and row["p_adjusted"] >= row["p_value"]
    assert "泊松" in row["notice"] and "Benjamini" in row["notice"]
    assert (alerts["dimension"] == "respondent_type").any()  # hospitals as a party kind
    assert alerts["alert_id"].is_unique


def test_flat_series_raise_no_alert():
    rng = np.random.default_rng(1)
    months = pd.period_range("2023-01", "2025-12", freq="M")
    rows = []
    for area in range(8):
        for dtype in ("M01", "M02", "M05"):
            for m in months:
                for _ in range(rng.poisson(6)):
                    rows.append({"received_at": m.to_timestamp() + pd.Timedelta(days=3),
                                 "dispute_type": dtype,
                                 "grid_code": f"330399{area:03d}001001",
                                 "respondent_kind": "person", "amount": 1000.0,
                                 "org_id": f"TZ{area}"})
    cases = pd.DataFrame(rows)
    alerts = scan(cases, start="2024-03", end="2025-12")
    assert len(alerts) <= 1  # 22 months × ~35 cells tested: BH keeps false alarms rare


def test_counts_and_what_followed(mediation_sample):
    cases = mediation_sample.cases
    table = monthly_counts(cases, "area_type")
    assert table.to_numpy().sum() == len(cases)
    town = _hot_township(cases)
    alert = {"dimension": "area_type", "key": f"{town}×M06",
             "month": MEDICAL_SURGE["warned_month"]}
    after = after_alert(cases, alert, months=12)
    assert len(after) == 25
    later, year_before = after["cases"].iloc[-6:].sum(), after["cases"].iloc[7:13].sum()
    assert later < 0.8 * year_before  # down on the same months a year before (the seed: 40 %)


def test_warn_one_month_lists_every_cell(mediation_sample):
    got = warn(mediation_sample.cases, "2025-03")
    assert {"area_type", "respondent_type", "organisation"} <= set(got["dimension"])
    assert (got["p_adjusted"] >= got["p_value"] - 1e-12).all()
    assert got["p_adjusted"].is_monotonic_increasing
