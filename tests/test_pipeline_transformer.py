"""The pipeline transformer answers exactly as pyproj's transformer from the CRS codes."""

from __future__ import annotations

import threading

import numpy as np
import pyproj
import pytest

from gridgis.crs import measuring_crs, pipeline_transformer


@pytest.mark.parametrize("lon0", [75.2, 104.0, 120.6, 135.9, 24.9])
def test_the_pipeline_gives_the_same_metres(lon0):
    crs = measuring_crs(lon0)
    rng = np.random.default_rng(7)
    lon = lon0 + rng.uniform(-1.5, 1.5, 5000)
    lat = rng.uniform(18.0, 53.0, 5000)
    want = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    got = pipeline_transformer(4326, crs)
    assert np.array_equal(np.column_stack(got.transform(lon, lat)), np.column_stack(want))
    again: list[tuple[float, float]] = []  # in another thread: pyproj's copy of it
    worker = threading.Thread(target=lambda: again.append(got.transform(lon[0], lat[0])))
    worker.start()
    worker.join()
    assert again == [(want[0][0], want[1][0])]
