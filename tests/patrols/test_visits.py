"""Visit detection and track checks on hand-drawn zones and tracks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridgis.crs import from_wgs84, transformer
from gridgis.errors import InputError
from gridgis.patrols import PatrolSettings, ZonePlane, detect_visits, prepare_track

EPSG = 4549
X0, Y0 = 500000.0, 3100000.0  # a plane origin near 120°E, 28°N


@pytest.fixture
def plane():
    zones = gpd.GeoDataFrame(
        {"zone_id": ["A", "B"], "level": ["high", "low"], "grid_code": ["g1", "g2"]},
        geometry=[shapely.box(X0, Y0, X0 + 200, Y0 + 200),
                  shapely.box(X0 + 200, Y0, X0 + 400, Y0 + 200)], crs=EPSG)
    return ZonePlane.from_zones(zones, epsg=EPSG)


def visits(plane, xy, t, **kw):
    xy = np.asarray(xy, float)
    return detect_visits(plane, xy[:, 0] + X0, xy[:, 1] + Y0, np.asarray(t),
                         np.zeros(len(xy), int), settings=PatrolSettings(**kw))


def test_a_pass_through_two_zones_is_cut_at_the_boundary(plane):
    v = visits(plane, [(-50, 100), (450, 100)], [0, 500])
    assert v["zone"].tolist() == [0, 1]
    assert v["metres"].round(3).tolist() == [200.0, 200.0]
    assert v["entered"].tolist() == [50, 250]  # 1 m/s: entries interpolated
    assert v["left"].tolist() == [250, 450]


def test_a_track_that_grazes_a_corner_is_no_visit(plane):
    # cuts 14 m across the corner of A (a quarter of the step), outside everything else
    v = visits(plane, [(-10, 180), (30, 220)], [0, 40])
    assert v.empty
    # the same geometry at a crawl (five minutes of twenty inside) counts by time
    slow = visits(plane, [(-10, 180), (30, 220)], [0, 1200])
    assert slow["zone"].tolist() == [0]
    assert slow["metres"].iloc[0] == pytest.approx(200 ** 0.5)
    assert slow[["entered", "left"]].iloc[0].tolist() == [300, 600]


def test_standing_in_a_zone_counts_by_time(plane):
    v = visits(plane, [(50, 50), (52, 50), (51, 51)], [0, 120, 240])
    assert v["zone"].tolist() == [0] and v["metres"].iloc[0] < 5
    assert visits(plane, [(50, 50), (52, 50)], [0, 120]).empty  # two minutes: too short


def test_leaving_and_coming_back_soon_is_one_visit(plane):
    path = [(150, 100), (250, 100), (150, 100)]
    v = visits(plane, path, [0, 100, 200])
    assert sorted(v["zone"].tolist()) == [0, 1]  # A once (out and back within 10 min)
    assert v.loc[v["zone"] == 0, "metres"].iloc[0] == pytest.approx(100.0)
    late = visits(plane, [(100, 100), (199, 100), (201, 100), (260, 100), (199, 100),
                          (100, 100)], [0, 99, 101, 1500, 1600, 1700])
    assert (late["zone"] == 0).sum() == 2  # back after 25 minutes: a second visit


def test_a_check_in_visits_the_zone_it_lies_in(plane):
    v = visits(plane, [(300, 100)], [1000])
    assert v["zone"].tolist() == [1] and bool(v["checkin"].iloc[0])
    assert visits(plane, [(900, 900)], [0]).empty
    assert visits(plane, [(300, 100)], [0], checkins_count=False).empty


def test_jumps_are_flagged_and_left_out_of_length_and_visits(plane):
    to_geo = transformer(f"EPSG:{EPSG}", "EPSG:4326")
    xs = np.array([10.0, 30.0, 5030.0, 50.0, 70.0]) + X0
    lon, lat = to_geo.transform(xs, np.full(5, Y0 + 100))
    at = np.datetime64("2026-10-01T08:00:00") + np.arange(5) * np.timedelta64(20, "s")
    track = prepare_track(lon, lat, at)
    assert track.jumps.tolist() == [False, True, True, False]
    assert track.length_m == pytest.approx(40.0, abs=0.5)  # 20 m + 20 m, the jump left out


def test_gcj02_points_are_converted_point_by_point():
    lon, lat = np.array([120.6, 120.601, 120.603]), np.array([28.0, 28.001, 28.0])
    at = ["2026-10-01T08:00:00", "2026-10-01T08:02:00", "2026-10-01T08:04:00"]
    glon, glat = from_wgs84(lon, lat, "gcj02")
    assert abs(glon[0] - lon[0]) > 1e-3  # the offset is hundreds of metres
    track = prepare_track(glon, glat, at, crs="gcj02")
    assert np.allclose(track.lon, lon, atol=1e-8) and np.allclose(track.lat, lat, atol=1e-8)
    assert track.input_crs == "gcj02"
    assert track.length_m == pytest.approx(prepare_track(lon, lat, at).length_m, abs=0.01)


def test_times_out_of_order_and_too_many_points_are_refused():
    with pytest.raises(InputError, match="按先后"):
        prepare_track([120.6, 120.601], [28.0, 28.0],
                      ["2026-10-01T08:05:00", "2026-10-01T08:00:00"])
    with pytest.raises(InputError, match="超过上限"):
        prepare_track([120.6] * 3, [28.0] * 3, ["2026-10-01T08:00:00"] * 3,
                      settings=PatrolSettings(max_points=2))
