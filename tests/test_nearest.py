import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from gridgis import CategoryError
from gridgis.nearest import UnitFinder, nearest_units

PLANE = 4549


def test_matches_geopandas_sjoin_nearest_in_metres(sample_layers):
    inc = sample_layers.incidents
    got = nearest_units(inc, sample_layers.units, k=3)
    assert got.index.isin(inc.index).all()
    first = got[got["rank"] == 1]
    assert len(first) == len(inc)
    for category in ("P02", "S01", "M01"):
        mine = first.loc[inc.index[inc["category"] == category]]
        kinds = {"P02": "police_station", "S01": "power_supply", "M01": "market_regulation"}
        pts = inc.loc[mine.index, ["geometry"]].to_crs(PLANE)
        units = sample_layers.units[sample_layers.units["kind"] == kinds[category]].to_crs(PLANE)
        ref = gpd.sjoin_nearest(pts, units[["unit_id", "geometry"]], distance_col="d")
        ref = ref[~ref.index.duplicated()]
        assert (ref.loc[mine.index, "unit_id"] == mine["unit_id"]).all()
        assert np.allclose(ref.loc[mine.index, "d"], mine["distance_m"], atol=0.1)
    ranks = got.groupby(level=0)["distance_m"].apply(lambda s: s.is_monotonic_increasing)
    assert ranks.all()
    assert (got["method"] == "euclidean").all()


def test_kinds_come_from_the_category_table(sample_layers):
    inc = sample_layers.incidents
    x01 = inc[inc["category"] == "X01"].iloc[:5]
    got = nearest_units(x01, sample_layers.units, k=4)
    assert set(got["kind"]) <= {"police_station", "emergency", "mediation_committee"}
    assert got.groupby(level=0).size().eq(4).all()


def test_same_township(sample_layers):
    inc = sample_layers.incidents.iloc[:300]
    got = nearest_units(inc, sample_layers.units, k=1, same_township=True)
    town = sample_layers.units.set_index("unit_id")["township_code"]
    police = got[got["kind"] == "police_station"]
    assert (town.loc[police["unit_id"]].to_numpy()
            == inc.loc[police.index, "township_code"].to_numpy()).all()


def test_unknown_category(sample_layers):
    bad = sample_layers.incidents.iloc[:2].assign(category=["D01", "Z99"])
    with pytest.raises(CategoryError, match="Z99"):
        nearest_units(bad, sample_layers.units)


def _lonlat(xy):
    to_geo = Transformer.from_crs(PLANE, 4326, always_xy=True)
    x0, y0 = 500_000.0, 3_100_000.0
    return [to_geo.transform(x0 + x, y0 + y) for x, y in xy]


def test_road_network_changes_the_answer():
    # A is 100 m away as the crow flies but 500 m by road; B is 300 m by road.
    (ix, iy), (ax, ay), (bx, by) = _lonlat([(0, 0), (0, 100), (300, 0)])
    units = gpd.GeoDataFrame(
        {"unit_id": ["A", "B"], "name": ["A", "B"], "kind": ["police_station"] * 2,
         "township_code": ["330399001"] * 2},
        geometry=[shapely.Point(ax, ay), shapely.Point(bx, by)], crs=4326)
    road_pts = _lonlat([(0, 0), (300, 0)]), _lonlat([(0, 0), (-200, 0), (-200, 100), (0, 100)])
    roads = gpd.GeoDataFrame(geometry=[shapely.LineString(p) for p in road_pts], crs=4326)
    straight = UnitFinder(units).nearest([ix], [iy], kinds=["police_station"], k=2)
    assert straight["unit_id"].tolist() == ["A", "B"]
    assert straight["distance_m"].round(0).tolist() == [100, 300]
    network = UnitFinder(units, roads=roads, speed_kmh=30).nearest(
        [ix], [iy], kinds=["police_station"], k=2)
    assert network["unit_id"].tolist() == ["B", "A"]
    # distances stay straight-line; the ranking and the minutes run along the roads
    assert network["distance_m"].round(0).tolist() == [300, 100]
    assert network["travel_min"].tolist() == [0.6, 1.0]
    by_metres = UnitFinder(units, roads=roads).nearest([ix], [iy], kinds=["police_station"],
                                                        k=2, by="distance")
    assert by_metres["unit_id"].tolist() == ["A", "B"]
    assert by_metres["travel_min"].tolist() == [1.0, 0.6]
    assert (network["method"] == "network").all()


def test_missing_kind_gives_no_rows(sample_layers):
    finder = UnitFinder(sample_layers.units)
    got = finder.nearest([120.6], [28.0], kinds=["astronaut"], k=2)
    assert got.empty and list(got.columns)[:3] == ["point", "rank", "unit_id"]
    assert isinstance(got, pd.DataFrame)
