"""Plan metrics: household balance, compactness, contiguity and share within bounds."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.planning.edges import EdgeModel

__all__ = ["OBJECTIVES", "compare_plans", "plan_metrics", "plan_summary"]

OBJECTIVES: dict[str, tuple[str, int, str]] = {
    "balance": ("mean_abs_deviation", -1, "户数均衡 (mean household deviation, lower is better)"),
    "compactness": ("mean_polsby_popper", +1, "紧凑度 (mean Polsby-Popper, higher is better)"),
    "bounds": ("share_within_bounds", +1,
               "户数达标比例 (share of grids within the household range, higher is better)"),
}
"""Objectives a redraw is judged on: summary key, direction (+1: higher is better), label."""
TIE = 1e-9


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
        ``area_m2``, ``polsby_popper`` (4πA/P², 1 for a disc; both on densified
        edges in the Gauss-Krüger zone), ``parts``,
        ``contiguous`` and ``within_bounds``.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> table = plan_metrics(sample_district(scale=0.05).grids)
    >>> bool(table["contiguous"].all())
    True
    """
    model = EdgeModel.of(grids)
    geoms = grids.to_crs(4326).geometry.to_numpy()
    area = model.area_m2(geoms)
    perimeter = model.length_m(geoms)
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


def compare_plans(current: dict[str, Any], proposed: dict[str, Any], objective: str
                  ) -> bool:
    """Whether ``proposed`` is worse than ``current`` on ``objective``.

    Parameters
    ----------
    current, proposed : dict
        :func:`plan_summary` of the plan in force and of the proposal.
    objective : str
        A key of :data:`OBJECTIVES`.

    Returns
    -------
    bool
        True when the proposal is worse (ties are not worse).

    Raises
    ------
    KeyError
        For an unknown objective.
    """
    key, direction, _ = OBJECTIVES[objective]
    return direction * (proposed[key] - current[key]) < -TIE
