"""Hotspots of incidents: Getis-Ord Gi* on grid counts or rates (热点分析).

Gi* compares the sum of a value over an area and its contiguous neighbours
(queen or rook contiguity of the grid polygons) with what a random
arrangement of the same values would give. Each area gets the analytic
z-score of ``esda.G_Local(star=True)`` and a two-sided pseudo p-value from
conditional permutations (the neighbours' values redrawn from the other
areas) with a fixed seed, so the same data always give the same answer. The
p-values are then corrected for testing every area at once
(Benjamini-Hochberg false discovery rate by default) and the area is
labelled ``"hot"`` (significant, z > 0), ``"cold"`` (significant, z < 0)
or ``"not significant"``.

Areas without a contiguous neighbour (islands: a grid cut off by a river
in a partial layer, say) are attached to their nearest area by centroid
distance (``islands="nearest"``) or left out of the test
(``islands="drop"``, label ``"island"``).

Following PySAL, :class:`HotspotModel` is built with
:meth:`HotspotModel.from_geodataframe` and run with
:meth:`HotspotModel.solve`; :func:`hotspots` does both and returns the
layer.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis.analysis._common import adjust_pvalues, require_columns, to_projected
from gridgis.errors import LayerError

if TYPE_CHECKING:
    from libpysal import weights

__all__ = ["HOTSPOT_LABELS", "HotspotModel", "hotspots"]

HOTSPOT_LABELS: tuple[str, ...] = ("hot", "cold", "not significant", "island")
"""Labels of :func:`hotspots`: significant high and low clusters, the rest, and
areas left out (``islands="drop"``)."""

DEFAULT_SEED = 20260101


def _contiguity(areas: gpd.GeoDataFrame, contiguity: str) -> weights.W:
    from libpysal import weights

    kinds = {"queen": weights.Queen, "rook": weights.Rook}
    if contiguity not in kinds:
        raise ValueError(f"contiguity must be 'queen' or 'rook', got {contiguity!r}")
    frame = gpd.GeoDataFrame(geometry=areas.geometry.values, crs=areas.crs)
    # libpysal warns about islands and disconnected components while building the
    # weights; both are expected here and handled by the caller (islands= option),
    # so those warnings are silenced for the construction only.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return kinds[contiguity].from_dataframe(frame, use_index=False, silence_warnings=True)


def _attach_islands(w: weights.W, areas: gpd.GeoDataFrame) -> weights.W:
    from libpysal import weights

    centroids = to_projected(gpd.GeoDataFrame(geometry=areas.geometry.values,
                                              crs=areas.crs)).centroid
    xy = np.column_stack([centroids.x, centroids.y])
    neighbours = {i: list(n) for i, n in w.neighbors.items()}
    for i in w.islands:
        d = np.hypot(xy[:, 0] - xy[i, 0], xy[:, 1] - xy[i, 1])
        d[i] = np.inf
        j = int(np.argmin(d))
        neighbours[i].append(j)
        neighbours[j].append(i)
    # the rebuilt W still has disconnected components, which libpysal warns about;
    # Gi* is well defined on them, so the warning is silenced here only.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return weights.W(neighbours, silence_warnings=True)


def _conditional_p(y: np.ndarray, w: weights.W, permutations: int, seed: int) -> np.ndarray:
    """Two-sided conditional-permutation p-values of Gi* (binary weights, self included).

    As in esda's conditional randomization, the value of area i stays put and
    its k_i neighbour values are replaced by k_i values drawn without
    replacement from the other n - 1 areas, ``permutations`` times. With
    binary weights and the focal area included, Gi* of the draw differs from
    the observed one only through the neighbour sum, which is compared here.
    The p-value is twice the smaller tail, ``(count + 1) / (permutations + 1)``,
    capped at 1.
    """
    n = len(y)
    neighbours = [np.asarray(w.neighbors[i], dtype=int) for i in range(n)]
    k_max = max((len(nb) for nb in neighbours), default=0)
    rng = np.random.default_rng(seed)
    # one set of draws among the n - 1 "other" positions, shared by all areas
    keys = rng.random((permutations, n - 1))
    if 0 < k_max < n - 1:  # the k_max smallest keys, in key order: a random sample
        part = np.argpartition(keys, k_max, axis=1)[:, :k_max]
        order = np.take_along_axis(keys, part, axis=1).argsort(axis=1)
        ranks = np.take_along_axis(part, order, axis=1)
    else:
        ranks = keys.argsort(axis=1)[:, :k_max]
    p = np.ones(n)
    for i, nb in enumerate(neighbours):
        if len(nb) == 0:
            continue
        r = ranks[:, : len(nb)]
        simulated = y[r + (r >= i)].sum(axis=1)
        observed = y[nb].sum()
        above = np.count_nonzero(simulated >= observed - 1e-9)
        below = np.count_nonzero(simulated <= observed + 1e-9)
        p[i] = min(1.0, 2 * (min(above, below) + 1) / (permutations + 1))
    return p


class HotspotModel:
    """Getis-Ord Gi* hotspot analysis of one value over contiguous areas.

    Parameters
    ----------
    y : numpy.ndarray
        Value of each area (counts or rates), finite.
    w : libpysal.weights.W
        Binary contiguity weights between the areas, ids ``0 .. n-1``.
    index : pandas.Index
        Labels of the areas, kept on the results.
    kept : numpy.ndarray of bool, optional
        Which areas take part (the others are islands left out).

    Attributes
    ----------
    z_, p_, p_adjusted_ : pandas.Series
        After :meth:`solve`: Gi* z-score, two-sided permutation pseudo p-value and
        corrected p-value of each area (NaN for areas left out).
    labels_ : pandas.Series
        ``"hot"``, ``"cold"``, ``"not significant"`` or ``"island"``.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import HotspotModel, area_rates
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> grids = area_rates(layers.incidents, layers.grids)
    >>> model = HotspotModel.from_geodataframe(grids, "incidents").solve(permutations=99)
    >>> set(model.labels_) <= {"cold", "hot", "not significant"}
    True
    """

    def __init__(self, y: np.ndarray, w: weights.W, index: pd.Index, *,
                 kept: np.ndarray | None = None) -> None:
        self.y = np.asarray(y, dtype=float)
        self.w = w
        self.index = index
        self.kept = np.ones(len(index), bool) if kept is None else np.asarray(kept, bool)

    @classmethod
    def from_geodataframe(cls, areas: gpd.GeoDataFrame, column: str, *,
                          contiguity: str = "queen", islands: str = "nearest"
                          ) -> HotspotModel:
        """Build the model from polygons and one of their columns.

        Parameters
        ----------
        areas : geopandas.GeoDataFrame
            Polygons (grids, usually) with the value column.
        column : str
            The value tested, e.g. ``"incidents"`` or ``"per_1000_households"``;
            missing values count as 0.
        contiguity : {"queen", "rook"}, default "queen"
            Neighbours share a vertex (queen) or an edge (rook).
        islands : {"nearest", "drop"}, default "nearest"
            Attach areas without neighbours to their nearest area, or leave
            them out of the test.

        Returns
        -------
        HotspotModel

        Raises
        ------
        LayerError
            If the column is missing or there are fewer than 3 areas.
        """
        require_columns(areas, (column,), layer="areas", what="hotspots")
        if islands not in ("nearest", "drop"):
            raise ValueError(f"islands must be 'nearest' or 'drop', got {islands!r}")
        if len(areas) < 3:
            raise LayerError(f"hotspots need at least 3 areas, got {len(areas)}",
                             layer="areas")
        y = pd.to_numeric(areas[column], errors="coerce").fillna(0).to_numpy(dtype=float)
        w = _contiguity(areas, contiguity)
        kept = np.ones(len(areas), bool)
        if w.islands and islands == "nearest":
            w = _attach_islands(w, areas)
        elif w.islands:
            kept[list(w.islands)] = False
            sub = areas.iloc[np.flatnonzero(kept)]
            w = _contiguity(sub, contiguity)
            y = y[kept]
        return cls(y, w, areas.index, kept=kept)

    def solve(self, *, permutations: int = 999, seed: int = DEFAULT_SEED,
              alpha: float = 0.05, correction: str = "fdr_bh") -> HotspotModel:
        """Run Gi* with conditional permutations and label the areas.

        Parameters
        ----------
        permutations : int, default 999
            Permutations per area; the smallest two-sided pseudo p-value is
            ``2 / (permutations + 1)``.
        seed : int, default 20260101
            Seed of the permutations: same data, same seed, same answer.
        alpha : float, default 0.05
            Significance level applied to the corrected p-values.
        correction : {"fdr_bh", "bonferroni", "none"}, default "fdr_bh"
            Multiple-testing correction over all areas.

        Returns
        -------
        HotspotModel
            ``self``, with ``z_``, ``p_``, ``p_adjusted_`` and ``labels_`` set.
        """
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
        if permutations < 19:
            raise ValueError(f"use at least 19 permutations, got {permutations}")
        n = len(self.index)
        z = np.full(n, np.nan)
        p = np.full(n, np.nan)
        if np.ptp(self.y) > 0:
            # the statistic and its analytic z-score come from esda; the permutation
            # p-values are drawn here (see _conditional_p) so that they do not need
            # esda's numba kernels, which take ~15 s to compile in every new process.
            # an area whose neighbourhood is the whole layer has no variance: its z is
            # 0/0 = NaN (labelled not significant), so numpy's warning is expected here
            from esda import G_Local

            with np.errstate(invalid="ignore", divide="ignore"):
                g = G_Local(self.y, self.w, transform="B", star=True, permutations=0)
            z[self.kept] = g.Zs
            p[self.kept] = _conditional_p(self.y, self.w, permutations, seed)
        else:  # a constant value has no cluster
            z[self.kept] = 0.0
            p[self.kept] = 1.0
        p_adj = adjust_pvalues(p, correction)
        labels = np.where(~self.kept, "island", "not significant").astype(object)
        significant = self.kept & (p_adj <= alpha)
        labels[significant & (z > 0)] = "hot"
        labels[significant & (z < 0)] = "cold"
        self.z_ = pd.Series(z, index=self.index, name="z")
        self.p_ = pd.Series(p, index=self.index, name="p")
        self.p_adjusted_ = pd.Series(p_adj, index=self.index, name="p_adjusted")
        self.labels_ = pd.Series(labels, index=self.index, name="hotspot")
        return self


def hotspots(areas: gpd.GeoDataFrame, column: str = "incidents", *,
             contiguity: str = "queen", islands: str = "nearest", permutations: int = 999,
             seed: int = DEFAULT_SEED, alpha: float = 0.05, correction: str = "fdr_bh"
             ) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hotspots of a value over contiguous areas, as a layer.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons with the value column, e.g. the output of
        :func:`~gridgis.analysis.area_rates` on the grids.
    column : str, default "incidents"
        Value tested (counts or a rate such as ``"per_1000_households"``).
    contiguity : {"queen", "rook"}, default "queen"
        Neighbour rule between the polygons.
    islands : {"nearest", "drop"}, default "nearest"
        What to do with areas that have no neighbour (see the module docs).
    permutations : int, default 999
        Conditional permutations per area.
    seed : int, default 20260101
        Seed of the permutations (results are reproducible).
    alpha : float, default 0.05
        Significance level of the corrected p-values.
    correction : {"fdr_bh", "bonferroni", "none"}, default "fdr_bh"
        Multiple-testing correction over the areas.

    Returns
    -------
    geopandas.GeoDataFrame
        ``areas`` (same index) with columns ``z``, ``p``, ``p_adjusted`` and
        ``hotspot`` (one of :data:`HOTSPOT_LABELS`).

    Raises
    ------
    LayerError
        If the column is missing or there are fewer than 3 areas.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import area_rates, hotspots
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> grids = area_rates(layers.incidents, layers.grids)
    >>> spots = hotspots(grids, "incidents", permutations=99)
    >>> spots.index.equals(grids.index)
    True
    """
    model = HotspotModel.from_geodataframe(areas, column, contiguity=contiguity,
                                           islands=islands)
    model.solve(permutations=permutations, seed=seed, alpha=alpha, correction=correction)
    out = areas.copy()
    out["z"] = model.z_
    out["p"] = model.p_
    out["p_adjusted"] = model.p_adjusted_
    out["hotspot"] = model.labels_
    return out
