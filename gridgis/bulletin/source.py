"""Where a bulletin's matters come from: the live store beside a district file, or its archive.

A district GeoPackage ``d.gpkg`` may have its incident store beside it
(``d.incidents.sqlite``, :func:`gridgis.store.store_path_for`). The
bulletin reads the store when it exists and holds matters reported in the
period; otherwise the file's ``incidents`` layer (an archive). Grid workers
come from the store's staff directory, else the roster beside the file
(``d.roster.csv``), else the names the grid layer lists.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gridgis.analysis.assessment import workers_table
from gridgis.bulletin.content import Names
from gridgis.bulletin.period import Period
from gridgis.errors import InputError, MissingLayerError, StaffError

__all__ = ["DistrictIncidents", "data_end", "district_incidents"]


@dataclass
class DistrictIncidents:
    """The matters of a period and of the one before, and what names and lists them."""

    frame: pd.DataFrame
    previous: pd.DataFrame
    now: pd.Timestamp
    previous_now: pd.Timestamp
    source: str
    names: Names
    workers: pd.DataFrame | None
    codes: dict[str, list[str]]


_STAMPS = ("reported_at", "accepted_at", "dispatched_at", "progress_at", "resolved_at",
           "verified_at", "closed_at", "callback_at")


def data_end(frame: pd.DataFrame) -> pd.Timestamp:
    """The latest moment the matters record: "now" of an archive."""
    stamps = [pd.to_datetime(frame[c], errors="coerce").max() for c in _STAMPS
              if c in frame.columns]
    return max((s for s in stamps if pd.notna(s)), default=pd.Timestamp.min)


def _within(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    at = pd.to_datetime(frame["reported_at"], errors="coerce")
    return frame[(at >= period.start_at) & (at < period.end_at)]


def _workers_of_grids(grids: pd.DataFrame) -> pd.DataFrame | None:
    if "worker_names" not in grids.columns:
        return None
    rows = []
    for code, text in zip(grids["code"], grids["worker_names"], strict=True):
        if isinstance(text, str):
            for n, name in enumerate(t.strip() for t in text.replace(",", "、").split("、")):
                if name:
                    rows.append({"staff_id": f"{code}-{n + 1}", "name": name,
                                 "role": "grid_worker", "grids": code})
    return workers_table(pd.DataFrame(rows)) if rows else None


def _workers(path: Path, layers: object, store: object | None
             ) -> tuple[pd.DataFrame | None, tuple[str, str]]:
    from gridgis.people.roster import load_roster, roster_path_for

    if store is not None:
        people = store.staff.members(role="grid_worker")  # type: ignore[attr-defined]
        if people:
            return workers_table(people), ("事件库的人员名单", "the store's staff")
    roster = roster_path_for(path)
    if roster.is_file():
        try:
            return workers_table(load_roster(roster)), (f"人员名册 {roster.name}",
                                                        f"the roster {roster.name}")
        except (StaffError, OSError):
            pass  # an unreadable roster: fall back to the grid layer's names
    grids = layers.grids  # type: ignore[attr-defined]
    return _workers_of_grids(grids), ("网格图层的网格员姓名", "the grid layer's worker names")


def district_incidents(path: str | os.PathLike[str], period: Period, *,
                       clock: Callable[[], dt.datetime] | None = None,
                       step: Callable[[str], None] | None = None) -> DistrictIncidents:
    """The matters of ``period`` and of the one before, from the store or the archive.

    Parameters
    ----------
    path : path-like
        A district GeoPackage.
    period : Period
    clock : callable, optional
        "Now" of a live store (default China time now): a period still
        running is measured up to now.
    step : callable, optional
        Told the name of each step (a progress bar).

    Raises
    ------
    FileNotFoundError
        For a missing file.
    InputError
        When neither the store nor the archive has a matter reported in the
        period (``field`` ``from``).
    """
    from gridgis.dispatch import china_now
    from gridgis.layers import read_layers
    from gridgis.store import SQLiteStore, store_path_for
    from gridgis.store.frame import incident_frame

    path = Path(path)
    tell = step or (lambda _label: None)
    layers = read_layers(path, strict=False)
    tell("读取图层 / layers read")
    previous = period.previous()
    names = Names.from_layers(layers)
    codes = {"township": list(layers.townships["code"]),
             "community": list(layers.communities["code"]), "grid": list(layers.grids["code"])}
    if layers.units is not None:
        codes["unit"] = list(layers.units["unit_id"])
    store_path = store_path_for(path)
    if store_path.is_file():
        store = SQLiteStore(store_path)
        try:
            both = incident_frame(store, reported_from=previous.start_at.to_pydatetime(),
                                  reported_to=period.end_at.to_pydatetime())
            tell("读取事件库 / store read")
            frame = _within(both, period)
            if len(frame):
                moment = pd.Timestamp((clock or china_now)())
                moment = max(moment, data_end(both))  # a clock behind the data: the data
                workers, whose = _workers(path, layers, store)
                return DistrictIncidents(
                    frame=frame, previous=_within(both, previous),
                    now=min(period.end_at, moment), previous_now=min(previous.end_at, moment),
                    source=f"事件库 {store_path.name}（{len(frame)} 件），网格员取自{whose[0]} / "
                           f"the incident store {store_path.name}, grid workers from {whose[1]}",
                    names=names, workers=workers, codes=codes)
        finally:
            store.close()
    if layers.incidents is None:
        raise MissingLayerError(f"{path} 没有事件图层，旁边也没有含本期事件的事件库 / {path} has "
                                "no incidents layer and no store with matters of the period "
                                "beside it", layer="incidents")
    archive = pd.DataFrame(layers.incidents.drop(columns=layers.incidents.geometry.name))
    frame = _within(archive, period)
    if frame.empty:
        raise InputError(f"{period.start} 至 {period.end} 期间没有上报的事件"
                         "（事件库与存档图层均无） / "
                         f"no incident was reported from {period.start} to {period.end}, "
                         "in the store or in the archive layer", field="from")
    end = data_end(archive)
    tell("读取存档 / archive read")
    workers, whose = _workers(path, layers, None)
    return DistrictIncidents(
        frame=frame, previous=_within(archive, previous), now=min(period.end_at, end),
        previous_now=min(previous.end_at, end),
        source=f"存档图层 incidents（{path.name}，{len(frame)} 件），网格员取自{whose[0]} / the "
               f"archive layer incidents of {path.name}, grid workers from {whose[1]}",
        names=names, workers=workers, codes=codes)
