"""The analyses on the full sample district: what it was built to show."""

from __future__ import annotations

import pytest

from gridgis.analysis import area_rates, early_warning, hotspots


@pytest.fixture(scope="module")
def grid_rates(sample_layers):
    return area_rates(sample_layers.incidents, sample_layers.grids)


def test_planted_medical_dispute_surge_is_found(sample_layers):
    surge_township = sample_layers.townships["code"].iloc[1]  # as gridgis.sample plants it
    table = early_warning(sample_layers.incidents, level="township")
    alerts = table[table["alert"]]
    assert (surge_township, "D06") in alerts.index
    row = alerts.loc[(surge_township, "D06")]
    assert row["ratio"] > 1.4 and row["excess"] > 5
    assert len(alerts) <= 3  # the surge, not a flood of alarms


def test_hotspots_lie_in_the_city_core(sample_layers, grid_rates):
    spots = hotspots(grid_rates, "incidents_per_km2")
    hot = spots[spots["hotspot"] == "hot"]
    assert len(hot) >= 5
    # the city core: the streets (街道), township codes 001-099; towns are 1xx, rural 2xx
    street = hot["code"].str.slice(6, 9).astype(int) < 100
    assert street.mean() >= 0.9
    cold = spots[spots["hotspot"] == "cold"]
    assert (cold["code"].str.slice(6, 9).astype(int) >= 100).mean() > 0.5
