"""Plan versions: old and new grid plans side by side, and locating "as of" a date.

Every redraw of the grid layer takes effect on a date. :func:`adopt_plan`
takes the plan in force and a proposed plan and returns one district in which
the grids the redraw changed or removed are kept, with the dates they were in
force, in the ``grid_history`` layer, and the grids of the new plan carry the
date their shape took effect in ``valid_from``. Grids the redraw leaves alone
keep their dates, so a grid that never moved spans every plan (MapIt calls the
plans *generations* and does the same).

:class:`PlanHistory` answers "which grid was this point in on that day": an
incident reported last spring is counted in the grid it was in then, not in
the grid that covers its spot today.

Only the grid layer is versioned. Patrol zones, buildings and units describe
the present and are taken from the newest plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.errors import PlanError
from gridgis.index.grid import GridIndex, Location
from gridgis.layers import Layers
from gridgis.schemas import SCHEMAS

__all__ = ["PlanHistory", "adopt_plan", "plan_as_of", "plan_dates"]

GRID_COLUMNS = SCHEMAS["grids"].column_names
HISTORY_COLUMNS = SCHEMAS["grid_history"].column_names
SHAPE_TOLERANCE_DEG = 1e-9
"""Vertices closer than this (about 0.1 mm) count as the same: a re-saved plan is unchanged."""


def _day(value: Any, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{what} {value!r} is not a date") from exc
    if stamp is pd.NaT:
        raise PlanError(f"{what} is missing")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("Asia/Shanghai").tz_localize(None)
    return stamp


def _empty_history(crs: Any) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs))


def _same_shape(old: gpd.GeoSeries, new: gpd.GeoSeries) -> np.ndarray:
    """Whether each pair of geometries is the same shape (vertex order ignored)."""
    a = shapely.normalize(old.to_numpy())
    b = shapely.normalize(new.to_numpy())
    return shapely.equals_exact(a, b, tolerance=SHAPE_TOLERANCE_DEG)


def adopt_plan(current: Layers, proposed: Layers, effective: Any) -> Layers:
    """Put a proposed grid plan into force on a date, keeping the old one as history.

    Parameters
    ----------
    current : Layers
        The district with the plan in force (its ``grid_history``, if any, is kept).
    proposed : Layers
        The district with the redrawn grid layer (for example from
        :func:`gridgis.planning.partition.partition_layers` or the edit functions).
    effective : date-like
        The day the proposed plan takes effect (midnight, China Standard Time).
        It must come after every date already in the plan's history.

    Returns
    -------
    Layers
        ``proposed`` with ``grids.valid_from`` set (unchanged grids keep their
        date, reshaped and new grids get ``effective``) and ``grid_history``
        holding every earlier version, with ``valid_to = effective`` for the
        grids this redraw retired.

    Raises
    ------
    PlanError
        If ``effective`` is not a date or does not come after the latest
        change already recorded, or if the proposed plan changes nothing.

    Notes
    -----
    A grid counts as changed when its shape, its community or its name
    changes; a change of households or workers alone updates the grid in
    place. A grid whose code disappears from the proposed plan is retired.
    """
    when = _day(effective, "the effective date")
    old = current.check(strict=True)
    new = proposed.check(strict=True)
    latest = plan_dates(old)
    if latest and when <= latest[-1]:
        raise PlanError(
            f"the plan cannot take effect on {when:%Y-%m-%d}: the history already has a "
            f"change on {latest[-1]:%Y-%m-%d}; plans are adopted in date order")
    old_grids, new_grids = old.grids, new.grids
    shared = old_grids.index.intersection(new_grids.index)
    same = pd.Series(False, index=old_grids.index)
    if len(shared):
        a, b = old_grids.loc[shared], new_grids.loc[shared]
        same.loc[shared] = (_same_shape(a.geometry, b.geometry)
                            & (a["community_code"].to_numpy() == b["community_code"].to_numpy())
                            & (a["name"].to_numpy() == b["name"].to_numpy()))
    retired = old_grids.loc[~same]
    if retired.empty and new_grids.index.isin(old_grids.index).all():
        raise PlanError("the proposed plan has the same grids as the plan in force; "
                        "there is nothing to adopt")
    kept = same[same].index
    grids = new_grids.copy()
    grids["valid_from"] = pd.Series(when, index=grids.index).astype("datetime64[ms]")
    grids.loc[kept, "valid_from"] = old_grids.loc[kept, "valid_from"]
    history_rows = retired.assign(
        valid_to=when,
        version_id=[f"{code}@{when:%Y-%m-%d}" for code in retired["code"]],
    )[[*HISTORY_COLUMNS, retired.geometry.name]]
    earlier = old.grid_history if old.grid_history is not None else _empty_history(old_grids.crs)
    parts = [f for f in (earlier, history_rows) if len(f)]
    history = (gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=old_grids.crs)
               if parts else None)
    return replace(new, grids=grids, grid_history=history).check(strict=True)


def plan_dates(layers: Layers) -> list[pd.Timestamp]:
    """The days on which the district's grid plan changed, oldest first.

    Parameters
    ----------
    layers : Layers

    Returns
    -------
    list of pandas.Timestamp
        Distinct ``valid_from`` and ``valid_to`` dates of the grids and their
        history; empty for a district without recorded redraws.
    """
    stamps = [layers.grids["valid_from"]] if "valid_from" in layers.grids else []
    if layers.grid_history is not None:
        stamps += [layers.grid_history["valid_from"], layers.grid_history["valid_to"]]
    if not stamps:
        return []
    values = pd.to_datetime(pd.concat(stamps, ignore_index=True)).dropna().unique()
    return sorted(pd.Timestamp(v) for v in values)


def plan_as_of(layers: Layers, when: Any) -> gpd.GeoDataFrame:
    """The grid layer that was in force at a moment.

    Parameters
    ----------
    layers : Layers
        A district with a plan history (see :func:`adopt_plan`).
    when : datetime-like
        The moment (China Standard Time).

    Returns
    -------
    geopandas.GeoDataFrame
        Grids with the columns of the ``grids`` layer: current grids already in
        force at ``when`` and retired versions in force then.
    """
    at = _day(when, "the moment")
    grids = layers.grids
    since = grids["valid_from"] if "valid_from" in grids else pd.Series(pd.NaT, index=grids.index)
    current = grids[since.isna() | (since <= at)]
    parts = [current[[*GRID_COLUMNS, grids.geometry.name]]]
    history = layers.grid_history
    if history is not None and len(history):
        then = history[(history["valid_from"].isna() | (history["valid_from"] <= at))
                       & (history["valid_to"] > at)]
        if len(then):
            old = then[[*GRID_COLUMNS, history.geometry.name]]
            parts.append(old.set_index(old["code"].to_numpy()).rename_axis(None))
    frame = pd.concat(parts)
    return gpd.GeoDataFrame(frame, geometry=grids.geometry.name, crs=grids.crs)


class PlanHistory:
    """Locate points in the grid plan in force when they were reported.

    Parameters
    ----------
    layers : Layers
        A district, with or without recorded redraws (without, every moment
        gets the current plan).
    snap_tolerance_m : float, default 50
        Passed to each :class:`gridgis.GridIndex`.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> history = PlanHistory(sample_district(scale=0.05))
    >>> len(history.periods())
    1
    """

    def __init__(self, layers: Layers, *, snap_tolerance_m: float = 50.0) -> None:
        self.layers = layers
        self.snap_tolerance_m = snap_tolerance_m
        self.dates = plan_dates(layers)
        self._cut = np.array(self.dates, dtype="datetime64[ms]")
        self._indexes: dict[int, GridIndex] = {}

    def periods(self) -> pd.DataFrame:
        """The plans of the district, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``start`` (NaT: before the records), ``end`` (NaT: still in force)
            and the number of ``grids`` of each plan.
        """
        starts = [pd.NaT, *self.dates]
        ends = [*self.dates, pd.NaT]
        counts = [len(plan_as_of(self.layers, self._moment(n))) for n in range(len(starts))]
        return pd.DataFrame({"start": pd.to_datetime(pd.Series(starts)),
                             "end": pd.to_datetime(pd.Series(ends)), "grids": counts})

    def _moment(self, number: int) -> pd.Timestamp:
        """A moment inside plan ``number``."""
        if number:
            return self.dates[number - 1]
        return self.dates[0] - pd.Timedelta(milliseconds=1) if self.dates else pd.Timestamp.now()

    def _period(self, at: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._cut, at, side="right")

    def index_for_period(self, number: int) -> GridIndex:
        """The (cached) grid index of plan ``number`` (0 = before the first recorded change)."""
        if number not in self._indexes:
            grids = plan_as_of(self.layers, self._moment(number))
            self._indexes[number] = GridIndex(
                grids, communities=self.layers.communities,
                patrol_zones=self.layers.patrol_zones,
                snap_tolerance_m=self.snap_tolerance_m)
        return self._indexes[number]

    def index_as_of(self, when: Any) -> GridIndex:
        """The grid index of the plan in force at ``when``."""
        at = np.array([_day(when, "the moment")], dtype="datetime64[ms]")
        return self.index_for_period(int(self._period(at)[0]))

    def locate(self, lon: float, lat: float, *, at: Any, crs: str = "wgs84") -> Location:
        """Locate one point in the plan in force at ``at`` (see :meth:`GridIndex.locate`)."""
        return self.index_as_of(at).locate(lon, lat, crs=crs)

    def assign(self, lon: Any, lat: Any, at: Any, *, crs: str = "wgs84",
               with_distance: bool = True) -> pd.DataFrame:
        """Locate many points, each in the plan in force at its own moment.

        Parameters
        ----------
        lon, lat : array-like
            Coordinates in the system named by ``crs``.
        at : array-like of datetime-like
            The moment of each point (for incidents: ``reported_at``).
        crs : str, default "wgs84"
        with_distance : bool, default True

        Returns
        -------
        pandas.DataFrame
            As :meth:`GridIndex.assign`, one row per point in input order, plus
            ``plan_start``: the day the plan used for that row took effect
            (NaT for the plan before the first recorded change).

        Raises
        ------
        PlanError
            If ``at`` has missing moments or differs in length from ``lon``.
        """
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        stamps = pd.to_datetime(pd.Series(np.asarray(at).ravel()), errors="coerce")
        if len(stamps) != len(x):
            raise PlanError(f"{len(stamps)} moments for {len(x)} points")
        if stamps.isna().any():
            first = int(np.flatnonzero(stamps.isna().to_numpy())[0])
            raise PlanError(f"{int(stamps.isna().sum())} point(s) have no moment, the first "
                            f"at position {first}")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        period = self._period(stamps.to_numpy(dtype="datetime64[ms]"))
        pieces = []
        for number in np.unique(period):
            rows = np.flatnonzero(period == number)
            part = self.index_for_period(int(number)).assign(
                lon=x[rows], lat=y[rows], crs=crs, with_distance=with_distance)
            part.index = rows
            part["plan_start"] = self.dates[number - 1] if number else pd.NaT
            pieces.append(part)
        if not pieces:
            return self.index_for_period(0).assign(lon=x, lat=y, crs=crs,
                                                   with_distance=with_distance).assign(
                                                       plan_start=pd.NaT)
        frame = pd.concat([p.astype({c: object for c in p.columns
                                     if isinstance(p[c].dtype, pd.CategoricalDtype)})
                           for p in pieces]).sort_index()
        frame["plan_start"] = pd.to_datetime(frame["plan_start"])
        for column in frame.columns:
            if frame[column].dtype == object and column != "worker_names":
                frame[column] = frame[column].astype("category")
        return frame.reset_index(drop=True)

