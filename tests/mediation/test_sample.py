"""The sample's cases: realistic shares, outcomes, links and the planted medical rise."""

from __future__ import annotations

import pytest

from gridgis.mediation.names import DISPUTE_TYPES
from gridgis.mediation.sample import MEDICAL_SURGE, sample_mediation


@pytest.fixture(scope="module")
def full(small_layers):
    return sample_mediation(small_layers, seed=3), None


def test_sample_is_complete(full):
    s, _ = full
    c = s.cases
    assert len(c) > 5000
    assert set(c["dispute_type"]) == set(DISPUTE_TYPES)
    assert c["received_at"].min().year == 2023 and c["received_at"].max().year == 2026
    assert c["case_id"].is_unique
    assert 0.8 < (c["outcome"] == "agreement").mean() < 0.95
    assert c["incident_id"].notna().sum() > 0
    assert set(s.followups["case_id"]) == set(c.loc[c["outcome"] == "failed", "case_id"])
    assert set(s.referrals["case_id"]) == set(c.loc[c["outcome"] == "failed", "case_id"])
    assert c["facts"].str.contains("某").mean() > 0.9  # parties as 张某, never full names
    for name in s.parties.loc[s.parties["kind"] == "person", "name"].head(200):
        assert name not in " ".join(c["facts"].head(500))


def test_linked_cases_lie_in_their_incidents_grid(small_layers, mediation_sample):
    c = mediation_sample.cases.dropna(subset=["incident_id"])
    inc = small_layers.incidents.set_index("incident_id")
    assert (inc.loc[c["incident_id"], "grid_code"].to_numpy() == c["grid_code"].to_numpy()).all()
    assert (inc.loc[c["incident_id"], "category"].str[1:].to_numpy()
            == c["dispute_type"].str[1:].to_numpy()).all()


def test_medical_disputes_rise_then_fall(full):
    s = full[0]
    c = s.cases
    hot = c.loc[c["respondent_kind"] == "hospital", "grid_code"].str[:9].value_counts().index[0]
    c = c[c["grid_code"].str.startswith(hot)]
    med = c[c["dispute_type"] == "M06"].set_index("received_at").resample("MS").size()
    warned = med.index.get_loc(MEDICAL_SURGE["warned_month"] + "-01")
    before = med.iloc[:12].mean()
    peak = med.iloc[warned - 5:warned + 1].mean()
    year_after = med.iloc[warned + 7:warned + 13].mean()
    assert peak > 2 * before
    assert year_after < 0.7 * peak  # a year on, the same months: the seed's fall of 40 %


def test_cli_writes_the_sample_into_the_store(small_gpkg, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from gridgis.cli import app
    from gridgis.mediation import MediationStore
    from gridgis.store import SQLiteStore, store_path_for

    gpkg = shutil.copy(small_gpkg, tmp_path / "d.gpkg")
    result = CliRunner().invoke(app, ["mediation", "sample", str(gpkg), "--per-year", "600",
                                       "--no-words"])
    assert result.exit_code == 0, result.output
    assert "医疗纠纷" in result.output
    store = MediationStore(SQLiteStore(store_path_for(gpkg)).engine)
    assert store.count() > 1500
    warned = CliRunner().invoke(app, ["mediation", "warn", str(gpkg), "--record"])
    assert warned.exit_code == 0, warned.output
    assert store.table("alerts").shape[0] > 0 and "卫生健康局" in warned.output
    again = CliRunner().invoke(app, ["mediation", "warn", str(gpkg), "--record"])
    assert "已记录预警通报 0 条" in again.output  # a notice is recorded once
    month = CliRunner().invoke(app, ["mediation", "warn", str(gpkg), "--from", "2025-13"])
    assert month.exit_code == 2 and "YYYY-MM" in month.output
    bad = CliRunner().invoke(app, ["mediation", "sample", str(tmp_path / "none.gpkg")])
    assert bad.exit_code == 2 and "没有这个文件" in bad.output
