"""The grid index cached beside its GeoPackage: loaded while valid, rebuilt otherwise."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from gridgis import GridIndex, write_layers
from gridgis.index.cache import cached_index, index_cache_path
from tests.conftest import county_headers


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
    app = create_app(Settings(layers=district))
    with TestClient(app, headers=county_headers(app)) as client:
        got = client.get("/locate", params={"lon": p.x, "lat": p.y}).json()
    assert got["grid_code"] == g["code"]


# -- hardening: plain arrays only, content hashes, altered caches refused --------------------

class _Payload:
    """Pickles to a call of ``os.mkdir(path)``: unpickling it creates ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def _counting_builds(monkeypatch):
    built = []
    real = GridIndex.from_layers.__func__

    def counting(cls, *args, **kwargs):
        built.append(1)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(GridIndex, "from_layers", classmethod(counting))
    return built


def _same_answers(index, small_layers):
    fresh = GridIndex.from_layers(small_layers)
    lon, lat = _points(small_layers)
    pd.testing.assert_frame_equal(index.assign(lon=lon, lat=lat),
                                  fresh.assign(lon=lon, lat=lat), check_exact=True)


def test_the_cache_holds_plain_arrays_only(district, small_layers):
    cached_index(district, small_layers)
    with np.load(index_cache_path(district), allow_pickle=False) as data:
        kinds = {name: data[name].dtype.kind for name in data.files}
    assert set(kinds.values()) <= set("biufUS"), kinds  # ASCII codes as bytes


@pytest.mark.parametrize("whole_file", [False, True])
def test_a_pickled_cache_is_refused_without_running_it(district, small_layers, tmp_path,
                                                       monkeypatch, caplog, whole_file):
    import pickle

    from gridgis.errors import LayerError

    cache = index_cache_path(district)
    cached_index(district, small_layers)
    marker = tmp_path / "pwned"
    if whole_file:  # a plain pickle named like the cache
        cache.write_bytes(pickle.dumps(_Payload(marker)))
    else:  # a real cache with one member replaced by a pickled object array
        with np.load(cache) as data:
            arrays = dict(data)
        arrays["codes"] = np.array([_Payload(marker)], dtype=object)
        with cache.open("wb") as f:
            np.savez(f, **arrays)
    crafted = cache.read_bytes()
    built = _counting_builds(monkeypatch)
    with pytest.raises(LayerError, match="plain arrays"):
        GridIndex.load(cache)
    assert not marker.exists()
    with caplog.at_level("WARNING", logger="gridgis.index.cache"):
        index = cached_index(district)
    assert not marker.exists()
    assert built == [1] and "refused" in caplog.text and "plain arrays" in caplog.text
    _same_answers(index, small_layers)
    # the crafted file was live: read the unsafe way, it runs the code
    if whole_file:
        pickle.loads(crafted)
    else:
        (tmp_path / "crafted.npz").write_bytes(crafted)
        with np.load(tmp_path / "crafted.npz", allow_pickle=True) as data:
            data["codes"]
    assert marker.exists()


def test_an_altered_cache_is_rebuilt_with_a_warning(district, small_layers, monkeypatch, caplog):
    cache = index_cache_path(district)
    cached_index(district, small_layers)
    with np.load(cache, allow_pickle=False) as data:
        arrays = dict(data)
    arrays["codes"] = arrays["codes"][::-1].copy()  # every point in the wrong grid
    arrays["g_pc"] = np.roll(arrays["g_pc"], 1)  # and the cells shifted
    with cache.open("wb") as f:
        np.savez(f, **arrays)
    built = _counting_builds(monkeypatch)
    with caplog.at_level("WARNING", logger="gridgis.index.cache"):
        index = cached_index(district)
    assert built == [1]
    assert "refused" in caplog.text and str(cache) in caplog.text and "digest" in caplog.text
    again = cached_index(district)
    assert built == [1]  # the rewritten cache is trusted again
    _same_answers(index, small_layers)
    _same_answers(again, small_layers)


def test_another_valid_cache_swapped_in_is_rebuilt(district, small_layers, tmp_path,
                                                    monkeypatch, caplog):
    from gridgis import sample_district, write_layers

    other = write_layers(sample_district(scale=0.05, seed=11), tmp_path / "other.gpkg")
    cached_index(other)
    cached_index(district, small_layers)
    # a whole, self-consistent index of another district in place of this one's
    index_cache_path(district).write_bytes(index_cache_path(other).read_bytes())
    built = _counting_builds(monkeypatch)
    with caplog.at_level("WARNING", logger="gridgis.index.cache"):
        index = cached_index(district)
    assert built == [1] and "not the index file expected" in caplog.text
    _same_answers(index, small_layers)


def test_an_old_format_cache_is_rebuilt(district, small_layers, monkeypatch, caplog):
    import json

    import shapely

    cache = index_cache_path(district)
    sign = cache.with_suffix(".json")
    index = cached_index(district, small_layers)
    # the format-3 layout: geometries as a pickled object array, numeric metadata
    old = {**index.grid_index.to_arrays("g_"), "codes": index.codes.astype(str),
           "community": index.community.astype(str), "township": index.township.astype(str),
           "workers": index.workers, "worker_names": index.codes.astype(str),
           "wkb": np.array(shapely.to_wkb(index.geoms), dtype=object),
           "meta": np.array([3, 50.0])}
    with cache.open("wb") as f:  # the signature still names the current format
        np.savez(f, **old)
    built = _counting_builds(monkeypatch)
    with caplog.at_level("WARNING", logger="gridgis.index.cache"):
        rebuilt = cached_index(district)
    assert built == [1] and "refused" in caplog.text
    with cache.open("wb") as f:
        np.savez(f, **old)
    signature = json.loads(sign.read_text(encoding="utf-8"))
    signature["format"] = 3  # a signature written by the old version: out of date
    sign.write_text(json.dumps(signature), encoding="utf-8")
    cached_index(district)
    assert built == [1, 1]
    _same_answers(rebuilt, small_layers)


def test_the_same_size_and_time_with_other_content_is_rebuilt(district, small_layers,
                                                              monkeypatch):
    import sqlite3

    first = cached_index(district, small_layers)
    code = first.codes[0]
    st = district.stat()
    with sqlite3.connect(district) as conn:  # another roster, same file size
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            # named by the GeoPackage's rtree triggers, which a change of fid only runs
            conn.create_function(name, 1, lambda geom: None)
        conn.execute("UPDATE grids SET workers = 97 WHERE code = ?", (code,))
    conn.close()
    os.utime(district, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = district.stat()
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    built = _counting_builds(monkeypatch)
    index = cached_index(district)
    assert built == [1]
    g = small_layers.grids.set_index("code").loc[code]
    p = g.geometry.representative_point()
    assert index.locate(p.x, p.y).workers == 97
