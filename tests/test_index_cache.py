"""The grid index cached beside its GeoPackage: loaded while valid, rebuilt otherwise."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from gridgis import GridIndex, write_layers
from gridgis.index.cache import cached_index, index_cache_path


@pytest.fixture()
def district(tmp_path, small_layers):
    return write_layers(small_layers, tmp_path / "district.gpkg")


def _points(layers, n=3000, seed=3):
    rng = np.random.default_rng(seed)
    b = layers.grids.total_bounds
    return rng.uniform(b[0], b[2], n), rng.uniform(b[1], b[3], n)


def test_second_start_loads_the_cache_and_answers_alike(district, small_layers, monkeypatch):
    first = cached_index(district, small_layers)
    assert index_cache_path(district).exists()

    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt although the cache was valid")

    monkeypatch.setattr(GridIndex, "from_layers", no_build)
    second = cached_index(district)
    lon, lat = _points(small_layers)
    pd.testing.assert_frame_equal(first.assign(lon=lon, lat=lat),
                                  second.assign(lon=lon, lat=lat), check_exact=True)


def test_a_changed_file_or_damaged_cache_is_rebuilt(district, small_layers, monkeypatch):
    cached_index(district, small_layers)
    built = []
    real = GridIndex.from_layers.__func__

    def counting(cls, *args, **kwargs):
        built.append(1)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(GridIndex, "from_layers", classmethod(counting))
    st = district.stat()
    os.utime(district, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the file changed
    cached_index(district)
    assert len(built) == 1
    index_cache_path(district).write_bytes(b"not an index")  # damaged, signature intact
    index = cached_index(district)
    assert len(built) == 2
    lon, lat = _points(small_layers)
    assert (index.assign(lon=lon, lat=lat)["match"] != "invalid").all()
    cached_index(district)
    assert len(built) == 2  # the rewritten cache is used again


def test_the_service_starts_from_the_cache(district, small_layers, monkeypatch):
    from api.main import create_app
    from api.settings import Settings

    create_app(Settings(layers=district))
    assert index_cache_path(district).exists()
    monkeypatch.setattr(GridIndex, "from_layers", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("the service rebuilt its index")))
    from fastapi.testclient import TestClient

    g = small_layers.grids.iloc[0]
    p = g.geometry.representative_point()
    with TestClient(create_app(Settings(layers=district))) as client:
        got = client.get("/locate", params={"lon": p.x, "lat": p.y}).json()
    assert got["grid_code"] == g["code"]
