"""The sample's season of patrols: reproducible, with the gaps it plants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridgis.patrols.records import build_records
from gridgis.patrols.visits import ZonePlane
from gridgis.sample._patrols import sample_patrols


@pytest.fixture(scope="module")
def season(small_layers):
    return sample_patrols(small_layers, weeks=4)


def test_the_same_seed_gives_the_same_season(small_layers, season):
    again = sample_patrols(small_layers, weeks=4)
    pd.testing.assert_frame_equal(season.meta, again.meta)
    pd.testing.assert_frame_equal(season.points, again.points)
    other = sample_patrols(small_layers, weeks=4, seed=1)
    assert not season.meta["person"].equals(other.meta["person"])


def test_tracks_are_sampled_and_paced_like_walks(season):
    p = season.points
    assert p.groupby("track")["at"].is_monotonic_increasing.all()
    step = p.groupby("track")["at"].diff().dt.total_seconds().dropna()
    assert step.between(9, 31).mean() > 0.99
    assert ((p["at"] >= season.start) & (p["at"] < season.end + pd.Timedelta(days=1))).all()


def test_planted_gaps(small_layers, season):
    meta = season.meta.assign(day=season.points.groupby("track")["at"].first().dt.normalize()
                              .to_numpy())
    per_day = meta.groupby("day").size()
    rain = per_day.reindex(pd.DatetimeIndex(season.rain_days)).fillna(0)
    dry = per_day.drop(pd.DatetimeIndex(season.rain_days), errors="ignore")
    assert rain.mean() < 0.5 * dry.mean()
    for person, first in season.leave.items():
        days = meta.loc[meta["person"] == person, "day"]
        assert not ((days >= first) & (days < first + pd.Timedelta(days=14))).any()
    rows, visits = build_records(season.meta, season.points,
                                 ZonePlane.from_zones(small_layers.patrol_zones))
    skipped = visits[visits["person"].isin(season.skip_low) & ~visits["checkin"]]
    assert (skipped["level"] == "low").mean() < (visits["level"] == "low").mean() or \
        skipped.empty
    assert rows["jumps"].sum() > 0 or len(rows) < 500
    assert (rows["kind"] == "checkin").sum() > 0
    assert np.isin(visits["level"], ["high", "medium", "low"]).all()
