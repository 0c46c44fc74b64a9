from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridgis.analysis import HotspotModel, hotspots
from gridgis.analysis._common import adjust_pvalues
from gridgis.errors import LayerError

from .conftest import lonlat, square


def lattice(values: np.ndarray, extra: list[shapely.Polygon] | None = None,
            extra_values: list[float] | None = None) -> gpd.GeoDataFrame:
    rows, cols = values.shape
    geoms = [square(c, r) for r in range(rows) for c in range(cols)]
    vals = list(values.ravel().astype(float))
    geoms += extra or []
    vals += extra_values or []
    frame = gpd.GeoDataFrame({"incidents": vals}, geometry=geoms)
    frame.index = pd.Index([f"a{i:02d}" for i in range(len(frame))])
    return lonlat(frame)


def test_gi_star_z_matches_the_formula():
    values = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 20]], dtype=float)
    out = hotspots(lattice(values), permutations=99)
    # the centre's neighbourhood is the whole layer: no contrast, z undefined
    assert np.isnan(out["z"].iloc[4]) and out["hotspot"].iloc[4] == "not significant"
    x = values.ravel()
    n, xbar = len(x), x.mean()
    s = np.sqrt((x**2).mean() - xbar**2)
    # a corner cell: itself + 3 neighbours
    corner = [0, 1, 3, 4]
    w_sum = 4
    num = x[corner].sum() - xbar * w_sum
    z = num / (s * np.sqrt((n * w_sum - w_sum**2) / (n - 1)))
    assert out["z"].iloc[0] == pytest.approx(z)


def test_cluster_is_hot_and_rest_not():
    values = np.ones((6, 6))
    values[:3, :3] = 12
    out = hotspots(lattice(values), permutations=999)
    hot = out.index[out["hotspot"] == "hot"]
    assert len(hot) >= 3
    assert set(hot) <= {f"a{r * 6 + c:02d}" for r in range(4) for c in range(4)}
    assert (out["p_adjusted"] >= out["p"]).all()
    assert set(out["hotspot"]) <= {"hot", "cold", "not significant"}
    assert list(out.columns[-4:]) == ["z", "p", "p_adjusted", "hotspot"]


def test_seed_makes_it_reproducible():
    rng = np.random.default_rng(3)
    frame = lattice(rng.poisson(4, (5, 5)))
    a = hotspots(frame, permutations=199, seed=1)
    b = hotspots(frame, permutations=199, seed=1)
    c = hotspots(frame, permutations=199, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["p"], c["p"])


def test_islands_nearest_or_dropped():
    values = np.ones((4, 4))
    values[0, 0] = 9
    far = square(10, 10)  # no shared vertex with the lattice
    frame = lattice(values, extra=[far], extra_values=[3.0])
    near = hotspots(frame, permutations=99)  # warnings are errors: none may leak
    assert near["z"].notna().all()
    dropped = hotspots(frame, permutations=99, islands="drop")
    assert dropped["hotspot"].iloc[-1] == "island"
    assert np.isnan(dropped["p"].iloc[-1])
    model = HotspotModel.from_geodataframe(frame, "incidents").solve(permutations=99)
    assert model.labels_.index.equals(frame.index)


def test_constant_values_and_errors():
    out = hotspots(lattice(np.full((3, 3), 2.0)), permutations=99)
    assert (out["hotspot"] == "not significant").all()
    with pytest.raises(LayerError, match="lacks column"):
        hotspots(lattice(np.ones((3, 3))), "rate")
    with pytest.raises(ValueError, match="contiguity"):
        hotspots(lattice(np.ones((3, 3))), contiguity="bishop")


def test_adjust_pvalues_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.5, np.nan])
    bh = adjust_pvalues(p, "fdr_bh")
    assert bh[:4] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert np.isnan(bh[4])
    assert adjust_pvalues(p, "bonferroni")[:4] == pytest.approx([0.04, 0.16, 0.12, 1.0])
    with pytest.raises(ValueError, match="fdr_bh"):
        adjust_pvalues(p, "holm")
