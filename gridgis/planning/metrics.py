"""Plan metrics: household balance, compactness, contiguity and share within bounds."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.crs import local_crs

__all__ = ["plan_metrics", "plan_summary"]


def plan_metrics(grids: gpd.GeoDataFrame, *, households: tuple[int, int] = (300, 500)
                 ) -> pd.DataFrame:
    """One row per grid: balance, compactness and contiguity, measured in metres.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        Grids with ``code``, ``community_code`` and ``households``, in lon/lat.
    households : (int, int), default (300, 500)
        The household range a grid should fall in.

    Returns
    -------
    pandas.DataFrame
        Indexed by grid code: ``community_code``, ``households``,
        ``deviation`` (share above or below the mean of its community's grids),
        ``area_m2``, ``polsby_popper`` (4πA/P², 1 for a disc), ``parts``,
        ``contiguous`` and ``within_bounds``.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> table = plan_metrics(sample_district(scale=0.05).grids)
    >>> bool(table["contiguous"].all())
    True
    """
    projected = grids.to_crs(local_crs(grids))
    geoms = projected.geometry.to_numpy()
    area = shapely.area(geoms)
    perimeter = shapely.length(geoms)
    hh = grids["households"].to_numpy(dtype=float)
    mean = pd.Series(hh, index=grids.index).groupby(grids["community_code"]).transform("mean")
    parts = shapely.get_num_geometries(geoms)
    low, high = households
    return pd.DataFrame({
        "community_code": grids["community_code"].to_numpy(),
        "households": hh.astype(int),
        "deviation": hh / mean.to_numpy() - 1.0,
        "area_m2": area,
        "polsby_popper": np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, 0.0),
        "parts": parts,
        "contiguous": parts == 1,
        "within_bounds": (hh >= low) & (hh <= high),
    }, index=pd.Index(grids["code"].to_numpy(), name="code"))


def plan_summary(metrics: pd.DataFrame) -> dict[str, Any]:
    """Sum up :func:`plan_metrics`: grid count and the plan's balance and shape.

    Parameters
    ----------
    metrics : pandas.DataFrame
        The output of :func:`plan_metrics`.

    Returns
    -------
    dict
        ``grids``, ``mean_abs_deviation``, ``max_abs_deviation``,
        ``mean_polsby_popper``, ``min_polsby_popper``, ``share_contiguous``,
        ``share_within_bounds``.
    """
    return {
        "grids": int(len(metrics)),
        "mean_abs_deviation": float(metrics["deviation"].abs().mean()),
        "max_abs_deviation": float(metrics["deviation"].abs().max()),
        "mean_polsby_popper": float(metrics["polsby_popper"].mean()),
        "min_polsby_popper": float(metrics["polsby_popper"].min()),
        "share_contiguous": float(metrics["contiguous"].mean()),
        "share_within_bounds": float(metrics["within_bounds"].mean()),
    }
