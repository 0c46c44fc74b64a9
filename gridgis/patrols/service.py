"""Patrols in the service: record a worker's track or check-in, read them in scope, judge them.

:class:`PatrolService` takes what a grid worker's terminal sends (points
with times, a check-in, a GPX file), checks and measures it
(:func:`~gridgis.patrols.track.prepare_track`), finds the zones it visited
and stores it under the signed-in person (never a name from the request).
Reads follow :func:`gridgis.people.access.patrol_scope`: a grid worker their
own patrols, a community, township or the county their area's.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gridgis.errors import AccessDeniedError, OutsideDistrictError, PatrolNotFoundError
from gridgis.patrols.gpx import parse_gpx
from gridgis.patrols.records import build_records
from gridgis.patrols.settings import PatrolSettings
from gridgis.patrols.track import Track, prepare_track
from gridgis.patrols.visits import ZonePlane
from gridgis.people.access import check_patrol, patrol_scope

if TYPE_CHECKING:
    from gridgis.patrols.route import RouteSuggestion
    from gridgis.people.staff import StaffMember
    from gridgis.roads.network import RoadNetwork
    from gridgis.store.patrols import PatrolLog

__all__ = ["PatrolService", "new_patrol_id"]

FUTURE_SLACK = dt.timedelta(minutes=5)
"""How far ahead of the service's clock a terminal's times may run."""


def new_patrol_id(at: dt.datetime) -> str:
    """A patrol id: ``XC`` (巡查), the day, 40 random bits."""
    return f"XC{at:%Y%m%d}{secrets.token_hex(5)}"


class PatrolService:
    """The district's patrols.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The ``patrol_zones`` layer.
    log : PatrolLog
        The store's patrol tables (``store.patrols``).
    settings : PatrolSettings, optional
    clock : callable, optional
        "now" in naive China time.
    network : RoadNetwork, optional
        The district's roads, for route suggestions.
    grids : geopandas.GeoDataFrame, optional
        The grid layer (a worker's round starts in their grid by default).
    """

    def __init__(self, zones: gpd.GeoDataFrame | None, log: PatrolLog, *,
                 settings: PatrolSettings | None = None,
                 clock: Callable[[], dt.datetime] | None = None,
                 network: RoadNetwork | None = None, grids: gpd.GeoDataFrame | None = None
                 ) -> None:
        if zones is None:  # a district without patrol zones: nothing is ever visited
            zones = gpd.GeoDataFrame({"zone_id": [], "level": [], "grid_code": []},
                                     geometry=[], crs=4326)
        self.zones = zones
        self.plane = ZonePlane.from_zones(zones)
        self.log = log
        self.settings = settings or PatrolSettings()
        self.clock = clock or dt.datetime.now
        self.network = network
        self.grids = grids

    # -- writes ------------------------------------------------------------------------------
    def record(self, person: StaffMember, *, lon: Any, lat: Any, at: Any, crs: str = "wgs84",
               source: str = "app", note: str | None = None) -> dict[str, Any]:
        """Record a track (or a check-in: one point) as ``person``'s patrol.

        Returns
        -------
        dict
            The stored patrol (no track) with ``visits`` and ``jump_indices``
            (steps flagged as GPS jumps: from point i to i + 1).

        Raises
        ------
        AccessDeniedError
            Not an active grid worker, or the track lies outside their community.
        InputError, CoordinateError
            A track that cannot be taken (the message says why).
        OutsideDistrictError
            The track touches no patrol zone of the district.
        """
        check_patrol(person)
        track = prepare_track(lon, lat, at, crs=crs, settings=self.settings)
        self._check_times(track)
        return self._store(person, track, source=source, note=note)

    def record_gpx(self, person: StaffMember, data: bytes, *, note: str | None = None
                   ) -> list[dict[str, Any]]:
        """Record each track of a GPX file as one patrol of ``person``."""
        check_patrol(person)
        tracks = [prepare_track(t.lon, t.lat, t.at, crs="wgs84", settings=self.settings)
                  for t in parse_gpx(data)]
        for track in tracks:
            self._check_times(track)
        return [self._store(person, t, source="gpx", note=note) for t in tracks]

    def _check_times(self, track: Track) -> None:
        from gridgis.errors import InputError

        if track.ended_at > self.clock() + FUTURE_SLACK:
            raise InputError(f"轨迹时间 {track.ended_at:%Y-%m-%d %H:%M} 晚于现在 / the track "
                             "ends in the future; check the terminal's clock", field="points")

    def _store(self, person: StaffMember, track: Track, *, source: str,
               note: str | None) -> dict[str, Any]:
        meta = pd.DataFrame({"patrol_id": [new_patrol_id(track.started_at)],
                             "person": [person.staff_id], "source": [source],
                             "input_crs": [track.input_crs], "note": [note],
                             "own_grids": [";".join(person.grids)]})
        points = pd.DataFrame({"track": 0, "lon": track.lon, "lat": track.lat, "at": track.at})
        rows, visits = build_records(meta, points, self.plane, settings=self.settings,
                                     recorded_at=self.clock())
        grid = rows["grid_code"].iloc[0]
        if grid is None:
            raise OutsideDistrictError("轨迹不在本区任何巡查区域内 / the track touches no patrol "
                                       "zone of the district")
        if person.area_code and not str(grid).startswith(person.area_code):
            raise AccessDeniedError(f"轨迹所在网格 {grid} 不在您的辖区 {person.area_code} / the "
                                    f"track lies in grid {grid}, outside your area "
                                    f"{person.area_code}")
        record = {k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else
                      v.item() if hasattr(v, "item") and not isinstance(v, bytes | str) else v)
                  for k, v in rows.iloc[0].items()}
        visit_rows = [{k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else
                           v.item() if hasattr(v, "item") and not isinstance(v, str) else v)
                       for k, v in r.items()} for r in visits.to_dict("records")]
        stored = self.log.add(record, visit_rows)
        return {**stored, "visits": visit_rows,
                "jump_indices": [int(i) for i in track.jumps.nonzero()[0]]}

    # -- reads -------------------------------------------------------------------------------
    def patrols(self, person: StaffMember, *, staff_id: str | None = None,
                grid: str | None = None, start: dt.datetime | None = None,
                end: dt.datetime | None = None, limit: int = 100, offset: int = 0
                ) -> tuple[list[dict[str, Any]], int]:
        """The patrols ``person`` may read, newest first, and how many match."""
        scope = patrol_scope(person)
        if scope.person is not None and staff_id not in (None, scope.person):
            raise AccessDeniedError("网格员只能查看本人的巡查记录 / a grid worker reads only "
                                    "their own patrols")
        return self.log.list(person=scope.person or staff_id,
                             area_codes=None if scope.person else scope.area_codes,
                             grid=grid, start=start, end=end, limit=limit, offset=offset)

    def patrol(self, person: StaffMember, patrol_id: str) -> dict[str, Any]:
        """One patrol with its track and visits (404 outside one's scope: not disclosed)."""
        scope = patrol_scope(person)
        found = self.log.get(patrol_id)
        mine = found["person"] == scope.person if scope.person else any(
            str(found["grid_code"] or "").startswith(a) for a in scope.area_codes)
        if not mine:
            raise PatrolNotFoundError(f"没有巡查记录 {patrol_id} / no patrol {patrol_id}")
        return found

    def zones_in_scope(self, person: StaffMember) -> gpd.GeoDataFrame:
        """The patrol zones ``person`` sees figures of."""
        areas = patrol_scope(person).zone_areas
        codes = self.zones["grid_code"].astype(str)
        keep = codes.str.startswith(tuple(areas)) if areas else codes.isin([])
        return self.zones[keep]

    def route(self, worker: StaffMember, *, start: tuple[float, float] | None = None
              ) -> tuple[RouteSuggestion, list[str]]:
        """Today's suggested round for ``worker``: the zones due of their grids, on the roads.

        Returns
        -------
        (RouteSuggestion, list of str)
            The round and the ids of the zones due.

        Raises
        ------
        MissingLayerError
            The district has no road layer.
        """
        from gridgis.analysis.patrol_compliance import zone_compliance
        from gridgis.errors import MissingLayerError
        from gridgis.patrols.route import suggest_patrol_route, zones_due

        if self.network is None:
            raise MissingLayerError("本区没有道路图层，无法规划巡查路线 / the district has no "
                                    "road layer to plan a patrol route on", layer="roads")
        now = self.clock()
        zones = self.zones[self.zones["grid_code"].isin(worker.grids)]
        visits = self.log.visits(start=now - dt.timedelta(days=8), end=now,
                                 area_codes=worker.grids)
        table = zone_compliance(zones, visits, start=now - dt.timedelta(days=7), end=now,
                                visits_per_week=self.settings.visits_per_week)
        due = zones.loc[zones_due(table, now=now).index]
        if start is None:
            grid = self.grids[self.grids["code"].isin(worker.grids)] if self.grids is not None \
                else zones
            p = (grid if len(grid) else zones).to_crs(4326).geometry.iloc[0] \
                .representative_point()
            start = (p.x, p.y)
        return suggest_patrol_route(self.network, start, due), list(due["zone_id"])
