"""GCJ-02 and BD-09 inverses point by point: a point's answer does not depend on its batch.

``locate`` converts one point, ``assign`` a whole batch: on shared vertices of the
grids, where the last bits decide the grid, both must give the same answer.
"""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgis.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from gridgis.errors import OutsideDistrictError
from gridgis.index import GridIndex

GEOD = pyproj.Geod(ellps="WGS84")
INVERSES = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84, "bd09>gcj02": bd09_to_gcj02}
FORWARDS = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}

lon_china = st.floats(73.0, 135.0, allow_nan=False)
lat_china = st.floats(18.0, 53.0, allow_nan=False)
anywhere = st.one_of(
    st.tuples(lon_china, lat_china),  # mostly inside China, where the offset applies
    st.tuples(lon_china, lat_china),
    st.tuples(st.floats(-180, 180), st.floats(-90, 90)),
    st.tuples(st.just(float("nan")), lat_china),
)


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(INVERSES)),
       batch=st.lists(anywhere, min_size=1, max_size=60), data=st.data())
def test_a_point_alone_and_in_any_batch_gives_the_same_bits(name, batch, data):
    inverse = INVERSES[name]
    lon = np.array([p[0] for p in batch])
    lat = np.array([p[1] for p in batch])
    all_lon, all_lat = inverse(lon, lat)
    i = data.draw(st.integers(0, len(batch) - 1), label="position")
    one_lon, one_lat = inverse(lon[i], lat[i])
    assert _bits(one_lon) == _bits(all_lon[i]) and _bits(one_lat) == _bits(all_lat[i])
    # ... and inside another batch, at another position
    perm = np.random.default_rng(len(batch)).permutation(len(batch))
    other_lon, other_lat = inverse(lon[perm], lat[perm])
    np.testing.assert_array_equal(_bits(other_lon), _bits(all_lon[perm]))
    np.testing.assert_array_equal(_bits(other_lat), _bits(all_lat[perm]))


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_the_round_trip_is_within_a_millimetre(name):
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(73.5, 134.5, 100_000), rng.uniform(18.5, 53.0, 100_000)
    back_lon, back_lat = INVERSES[name](*FORWARDS[name](lon, lat))
    assert GEOD.inv(lon, lat, back_lon, back_lat)[2].max() < 1e-3


def test_each_point_stops_on_its_own_correction():
    # one iteration leaves metres of error; a point alone or with a slow neighbour is
    # iterated as often as it needs itself, never as often as the batch needs
    lon, lat = wgs84_to_gcj02(np.array([120.65, 87.6]), np.array([28.0, 43.8]))
    rough = gcj02_to_wgs84(lon, lat, max_iter=1)
    fine = gcj02_to_wgs84(lon, lat)
    assert np.abs(rough[0] - fine[0]).max() > 1e-7
    for i in range(2):
        alone = gcj02_to_wgs84(lon[i], lat[i])
        assert (float(alone[0]), float(alone[1])) == (fine[0][i], fine[1][i])
    with pytest.raises(ValueError, match="tol"):
        gcj02_to_wgs84(lon, lat, tol=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        gcj02_to_wgs84(lon, lat, max_iter=0)


@pytest.fixture(scope="module")
def index(sample_layers):
    return GridIndex.from_layers(sample_layers)


def _near_shared_vertices(layers, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` WGS84 points: vertices shared by two or more grids, and points a hair off them."""
    rings = shapely.get_exterior_ring(layers.grids.geometry.values)
    coords, owner = shapely.get_coordinates(rings, return_index=True)
    pairs = np.unique(np.column_stack([coords, owner]), axis=0)  # a vertex once per grid
    vertices, counts = np.unique(pairs[:, :2], axis=0, return_counts=True)
    shared = vertices[counts >= 2]
    assert len(shared) > 500
    rng = np.random.default_rng(seed)
    pick = shared[rng.integers(0, len(shared), n)]
    # a third exactly on the vertex, the rest within a few millimetres to a metre of it
    off = rng.normal(0.0, 1.0, (n, 2)) * 10.0 ** rng.uniform(-10, -5, (n, 1))
    off[: n // 3] = 0.0
    return pick[:, 0] + off[:, 0], pick[:, 1] + off[:, 1]


@pytest.mark.parametrize("crs", sorted(FORWARDS))
def test_locate_and_assign_agree_on_shared_vertices_given_in_phone_coordinates(
        index, sample_layers, crs):
    lon, lat = _near_shared_vertices(sample_layers, 6000, seed=19)
    px, py = FORWARDS[crs](lon, lat)
    batch = index.assign(lon=px, lat=py, crs=crs)
    # the hard cases are there: a third of the points come back within a micrometre of a
    # vertex shared by two or more grids, where the last bits decide the grid
    back_lon, back_lat = to_wgs84(px, py, crs)
    near = np.hypot(back_lon - lon, back_lat - lat)[: len(lon) // 3]
    assert near.max() < 1e-10
    differ = []
    for x, y, row in zip(px, py, batch.itertuples(), strict=True):
        try:
            one = index.locate(float(x), float(y), crs=crs)
        except OutsideDistrictError:
            one = None
        got = (None, "outside") if one is None else (one.grid_code, one.match)
        if got != (row.grid_code, row.match):
            differ.append((x, y, got, (row.grid_code, row.match)))
    assert not differ, f"{len(differ)} of {len(px)} points differ, e.g. {differ[:3]}"
