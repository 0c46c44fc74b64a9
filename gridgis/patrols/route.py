"""A grid worker's patrol route for the day: the zones due, in a good order, along the roads.

:func:`zones_due` picks the zones a worker should walk today (each
high-frequency zone; a medium or low one whose last visit is older than its
interval, 7 days over its weekly visits). :func:`suggest_patrol_route`
orders them on the road network's travel-time matrix between the start and
each zone's entry point (its representative point, joined to the roads at
its snap): nearest neighbour first, then 2-opt until no swap of two legs
shortens the round, and returns the path along the roads
(:meth:`gridgis.roads.network.RoadNetwork.route`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from gridgis.roads.network import RoadNetwork

__all__ = ["RouteSuggestion", "order_stops", "suggest_patrol_route", "zones_due"]


@dataclass(frozen=True)
class RouteSuggestion:
    """The zones in the order to walk them, the minutes of each leg, the path in lon/lat.

    ``legs_min`` has one entry per leg: start → first zone, …, last zone →
    start (when the round returns). ``line`` is None when no zone is due.
    """

    zone_ids: list[str]
    legs_min: list[float]
    total_min: float
    line: shapely.LineString | None


def _length(order: list[int], cost: np.ndarray, closed: bool) -> float:
    path = [*order, order[0]] if closed else order
    return float(sum(cost[a, b] for a, b in itertools.pairwise(path)))


def order_stops(cost: np.ndarray, *, closed: bool = True) -> list[int]:
    """An order of the stops 1..n-1 from stop 0: nearest neighbour, then 2-opt.

    Parameters
    ----------
    cost : numpy.ndarray
        n × n travel costs (inf where unreachable: taken as a large cost).
    closed : bool, default True
        The round returns to stop 0.

    Returns
    -------
    list of int
        Stop 0 first, then every other stop once.

    Examples
    --------
    >>> xy = np.array([[0, 0], [3, 0], [1, 0], [2, 0]])
    >>> order_stops(np.abs(xy[:, None, 0] - xy[None, :, 0]).astype(float), closed=False)
    [0, 2, 3, 1]
    """
    n = len(cost)
    finite = cost[np.isfinite(cost)]
    big = (finite.max() if len(finite) else 1.0) * n * 10 + 1
    c = np.where(np.isfinite(cost), cost, big)
    order, left = [0], set(range(1, n))
    while left:
        at = order[-1]
        nxt = min(left, key=lambda j: (c[at, j], j))
        order.append(nxt)
        left.remove(nxt)
    improved = True
    while improved:  # 2-opt: reverse a stretch when that shortens the round
        improved = False
        best = _length(order, c, closed)
        for i in range(1, n - 1):
            for k in range(i + 1, n):
                trial = order[:i] + order[i:k + 1][::-1] + order[k + 1:]
                length = _length(trial, c, closed)
                if length < best - 1e-9:
                    order, best, improved = trial, length, True
    return order


def zones_due(table: pd.DataFrame, *, now: dt.datetime) -> pd.DataFrame:
    """The zones to walk today, from :func:`~gridgis.analysis.patrol_compliance.zone_compliance`.

    High zones always; medium and low ones never visited or last visited
    longer ago than their interval (168 h over the weekly visits) less a day.
    """
    interval_h = 168.0 / table["required_per_week"].where(table["required_per_week"] > 0)
    since = (pd.Timestamp(now) - pd.to_datetime(table["last_visit_at"])
             ).dt.total_seconds() / 3600
    due = (table["level"] == "high") | since.isna() | (since >= interval_h - 24)
    return table[due]


def suggest_patrol_route(network: RoadNetwork, start_lonlat: tuple[float, float],
                         zones_due: gpd.GeoDataFrame, *, closed: bool = True
                         ) -> RouteSuggestion:
    """Order the zones due and draw the round along the roads.

    Parameters
    ----------
    network : RoadNetwork
        The district's roads.
    start_lonlat : (float, float)
        Where the worker starts (WGS84).
    zones_due : geopandas.GeoDataFrame
        The zones to walk (``zone_id``, polygons in lon/lat).
    closed : bool, default True
        Come back to the start.

    Returns
    -------
    RouteSuggestion
    """
    if not len(zones_due):
        return RouteSuggestion([], [], 0.0, None)
    entry = zones_due.to_crs(4326).geometry.representative_point()
    lon = np.r_[start_lonlat[0], entry.x.to_numpy()]
    lat = np.r_[start_lonlat[1], entry.y.to_numpy()]
    cost = network.travel_minutes(lon, lat, lon, lat)
    order = order_stops(cost, closed=closed)
    path = [*order, 0] if closed else order
    legs, coords = [], []
    for a, b in itertools.pairwise(path):
        minutes, line = network.route((lon[a], lat[a]), (lon[b], lat[b]))
        legs.append(float(minutes))
        part = (np.asarray(line.coords) if line is not None
                else np.array([[lon[a], lat[a]], [lon[b], lat[b]]]))
        coords.append(part if not coords else part[1:])
    ids = zones_due["zone_id"].astype(str).to_numpy()
    return RouteSuggestion(zone_ids=[str(ids[i - 1]) for i in order[1:]], legs_min=legs,
                           total_min=float(np.sum(legs)),
                           line=shapely.LineString(np.vstack(coords)))
