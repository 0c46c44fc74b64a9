"""The sample district's devices: where such devices are installed, reproducibly."""

import numpy as np
import pandas as pd
import shapely

from gridgis import sample_district
from gridgis.index.grid import GridIndex
from gridgis.sample import SAMPLE_START
from gridgis.sample._sensors import KIND_COUNTS
from gridgis.sensors import load_sensor_kinds

PLANE = 4549  # metres


def test_a_few_hundred_devices_of_every_kind(sample_layers):
    sensors = sample_layers.sensors
    assert sensors["kind"].value_counts().to_dict() == KIND_COUNTS
    assert len(sensors) == 360
    assert (sensors["installed_at"] < pd.Timestamp(SAMPLE_START)).all()
    minutes = load_sensor_kinds().groupby(level=0)["heartbeat_minutes"].first()
    assert (sensors["heartbeat_minutes"] == sensors["kind"].map(minutes)).all()


def test_each_device_lies_in_its_grid(sample_layers):
    sensors = sample_layers.sensors
    found = GridIndex.from_layers(sample_layers).assign(sensors, with_distance=False)
    assert (found["grid_code"].astype(object) == sensors["grid_code"]).all()
    assert (found["match"] == "inside").all()


def test_devices_are_where_such_devices_go(sample_layers):
    sensors = sample_layers.sensors.to_crs(PLANE)
    buildings = sample_layers.buildings.to_crs(PLANE)
    grids = sample_layers.grids.to_crs(PLANE)
    urban = set(sample_layers.communities.loc[sample_layers.communities["kind"] == "urban",
                                              "code"])
    kind = sensors["kind"].to_numpy()
    # smoke detectors: at old walk-ups (6-48 households) of urban communities
    smoke = sensors[kind == "smoke"]
    tree = shapely.STRtree(buildings.geometry.values)
    at, dist = tree.query_nearest(smoke.geometry.values, return_distance=True)
    assert (dist[0] < 0.01).all()
    hh = buildings["households"].to_numpy()[at[1]]
    assert ((hh >= 6) & (hh <= 48)).all()
    assert smoke["grid_code"].str.slice(0, 12).isin(urban).all()
    # water-level gauges: in grids where the archive has waterlogging reports
    wet = sample_layers.incidents
    wet = wet[(wet["category"] == "E01") & wet["description"].str.contains("积水")]
    assert sensors.loc[kind == "water_level", "grid_code"].isin(set(wet["grid_code"])).all()
    # manhole covers: a few metres off a street between urban grids
    edges = shapely.union_all(shapely.boundary(grids.geometry.values))
    covers = sensors[kind == "manhole_cover"].geometry.values
    assert (shapely.distance(covers, edges) <= 3.01).all()
    # gas detectors: four along each restaurant street, fume monitors at restaurants
    gas = sensors[kind == "gas"].geometry.values
    near = shapely.STRtree(gas).query(gas, predicate="dwithin", distance=100.0)
    assert (np.bincount(near[0], minlength=len(gas)) >= 4).all()
    fume = sensors[kind == "fume"].geometry.values
    assert (tree.query_nearest(fume, return_distance=True)[1] <= 5.01).all()


def test_the_same_seed_gives_the_same_devices():
    a, b = (sample_district(scale=0.05, seed=11).sensors for _ in range(2))
    assert a.equals(b) and shapely.equals_exact(a.geometry.values, b.geometry.values).all()
    other = sample_district(scale=0.05, seed=12).sensors
    assert not other.geometry.geom_equals(a.geometry.reindex(other.index)).all()
