"""Assign points to grids, exactly once: the heart of the dispatch and the archive.

:class:`GridIndex` is built once from a district's layers (grids, communities,
townships, patrol zones) and answers, for a lon/lat point given in WGS84,
CGCS2000, GCJ-02 or BD-09: its grid, community and township, its patrol
level, the grid workers and how the answer was found:

``inside``
    the point lies inside one grid;
``boundary``
    it lies on an edge or vertex shared by grids: it goes to the grid with the
    lowest code among those whose closure contains it (a fixed rule, so the
    same point always lands in the same grid);
``overlap``
    it lies in a piece where grids overlap (a data error of the layer; see
    :mod:`gridgis.index.overlaps`): it goes to the lowest code, and
    ``overlap_codes`` names every grid involved;
``snapped``
    it lies in no grid but within the snap tolerance (default 50 m) of one: it
    goes to the nearest grid;
``outside``
    farther than that: no codes;
``invalid``
    NaN or out-of-range coordinates (batch mode; single mode raises).

Each answer also gives the distance from the point to its grid's edge in
metres, so a console can warn when a pin sits so close to a boundary that the
choice of grid is fragile.
"""

from __future__ import annotations

import contextlib
import math
import os
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import shapely

from gridgis.crs import normalize_crs_name, to_wgs84
from gridgis.errors import CoordinateError, LayerError, OutsideDistrictError
from gridgis.index._kernels.batch import (
    SPAN,
    assign_points,
    gather,
    start_threads,
    workspace,
    written_empty,
)
from gridgis.index._kernels.layout import (
    INSIDE,
    MATCH_BOUNDARY,
    MATCH_INSIDE,
    MATCH_INVALID,
    MATCH_OUTSIDE,
    MATCH_SNAPPED,
    MATCH_UNDECIDED,
)
from gridgis.index._kernels.locate import locate_full, locate_packed
from gridgis.index._kernels.snap import lonely_cells, snap_packed
from gridgis.index._plain import (
    digest,
    from_json,
    join_bytes,
    read_meta,
    read_plain,
    split_bytes,
    to_json,
)
from gridgis.index.arrow_points import arrow_lonlat, is_arrow
from gridgis.index.overlaps import Overlaps
from gridgis.index.polygon import PolygonIndex
from gridgis.schemas import PATROL_LEVELS

__all__ = ["MATCHES", "GridIndex", "Location"]

MATCH_OVERLAP = 5  # set after the compiled pass, whose own 5 (undecided) is resolved by then
_MATCH_NAMES = {MATCH_INSIDE: "inside", MATCH_BOUNDARY: "boundary", MATCH_SNAPPED: "snapped",
                MATCH_OUTSIDE: "outside", MATCH_INVALID: "invalid", MATCH_OVERLAP: "overlap"}
MATCHES = tuple(_MATCH_NAMES[code] for code in range(len(_MATCH_NAMES)))  # by match code
FORMAT_VERSION = 5  # 2: packed compiled arrays with per-cell edge lists; 3: edges in chains;
# 4: plain arrays only (no pickled objects), metadata as JSON with a SHA-256 of the arrays;
# 5: each vertex stored once, edges named by index (no WKB), the overlaps found at save
_MEMBER_SEP = "\x1f"  # between the codes of an overlap's grids in the saved index
BLOCK = SPAN  # points whose coordinates are held at once in :meth:`GridIndex.assign`
ONE_THREAD_BELOW = 1 << 15
"""Batches of fewer points are assigned on one thread: each call crosses several
synchronised parallel regions, and on a busy machine a second thread that is
descheduled stalls them all for longer than it saves on a small batch
(``benchmarks/bench_assign.py`` prints both counts side by side)."""
_NO_ZONES = (np.empty(0, np.float64), np.empty(0, np.int64), np.empty(0, np.int32),
             np.empty(0, np.int8))


class Location(NamedTuple):
    """Where one point falls. Codes are ``None`` when the point is outside.

    An immutable record: a named tuple, built straight from its fields (a frozen
    dataclass would set each of them through ``object.__setattr__`` on every locate).
    """

    lon: float
    lat: float
    input_crs: str
    grid_code: str | None
    community_code: str | None
    township_code: str | None
    patrol_level: str | None
    workers: int | None
    worker_names: str | None
    match: str
    edge_distance_m: float
    overlap_codes: tuple[str, ...] | None = None


_new_location = tuple.__new__  # a Location from its twelve fields, without the checks


class GridIndex:
    """Index of a district's grids (and patrol zones) for locating points.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        The grid layer (``code``, ``community_code``, ``workers``,
        ``worker_names``), in lon/lat.
    communities : geopandas.GeoDataFrame or DataFrame, optional
        Maps ``community_code`` to ``township_code``; default the code prefix.
    patrol_zones : geopandas.GeoDataFrame, optional
        Zones with ``level``; the level of the zone containing the point.
    snap_tolerance_m : float, default 50
        Points in no grid but this close to one are snapped to it.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> index = GridIndex.from_layers(layers)
    >>> p = layers.grids.geometry.iloc[0].representative_point()
    >>> loc = index.locate(p.x, p.y)
    >>> loc.grid_code == layers.grids["code"].iloc[0], loc.match
    (True, 'inside')
    """

    def __init__(self, grids: gpd.GeoDataFrame, *, communities: Any = None,
                 patrol_zones: gpd.GeoDataFrame | None = None,
                 snap_tolerance_m: float = 50.0) -> None:
        if grids.crs is not None and grids.crs.to_epsg() not in (4326, 4490):
            grids = grids.to_crs(4326)
        missing = {"code", "community_code"} - set(grids.columns)
        if missing:
            raise LayerError(f"the grid layer lacks {', '.join(sorted(missing))}", layer="grids")
        order = np.argsort(grids["code"].to_numpy(dtype=str), kind="stable")
        grids = grids.iloc[order]  # lowest code = lowest id: the boundary rule
        self.codes = grids["code"].to_numpy(dtype=object)
        self.community = grids["community_code"].to_numpy(dtype=object)
        town_of = {}
        if communities is not None:
            town_of = dict(zip(communities["code"], communities["township_code"], strict=True))
        self.township = np.array([town_of.get(c, c[:9] if isinstance(c, str) else None)
                                  for c in self.community], dtype=object)
        self.workers = grids["workers"].to_numpy() if "workers" in grids else \
            np.zeros(len(grids), dtype=np.int64)
        self.worker_names = grids["worker_names"].to_numpy(dtype=object) \
            if "worker_names" in grids else np.full(len(grids), None, dtype=object)
        self.geoms = np.asarray(grids.geometry.values, dtype=object)
        self.grid_index = PolygonIndex(self.geoms)
        self.zone_index: PolygonIndex | None = None
        self.zone_levels = np.empty(0, dtype=object)
        if patrol_zones is not None and len(patrol_zones):
            zones = patrol_zones.to_crs(4326) if patrol_zones.crs is not None and \
                patrol_zones.crs.to_epsg() not in (4326, 4490) else patrol_zones
            self.zone_index = PolygonIndex(np.asarray(zones.geometry.values, dtype=object))
            self.zone_levels = zones["level"].to_numpy(dtype=object)
        self.snap_tolerance_m = float(snap_tolerance_m)
        self._tree: shapely.STRtree | None = None
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_layers(cls, layers: Any, *, snap_tolerance_m: float = 50.0) -> GridIndex:
        """Build from a :class:`gridgis.Layers` (or anything with the same attributes)."""
        return cls(layers.grids, communities=getattr(layers, "communities", None),
                   patrol_zones=getattr(layers, "patrol_zones", None),
                   snap_tolerance_m=snap_tolerance_m)

    # -- single points ---------------------------------------------------------------------
    def locate(self, lon: float, lat: float, *, crs: str = "wgs84") -> Location:
        """Locate one point; raises for bad input or a point outside the district.

        Parameters
        ----------
        lon, lat : float
            The point, in the system named by ``crs``.
        crs : str, default "wgs84"
            ``wgs84``, ``cgcs2000``, ``gcj02`` (Amap/Tencent) or ``bd09`` (Baidu).

        Raises
        ------
        CoordinateError
            For a NaN, infinite or out-of-range coordinate or an unknown ``crs``.
        OutsideDistrictError
            When the point is farther than the snap tolerance from every grid.
        """
        name = "wgs84" if crs == "wgs84" else normalize_crs_name(crs)
        try:
            x, y = float(lon), float(lat)
        except (TypeError, ValueError):
            raise CoordinateError(f"({lon!r}, {lat!r}) are not numbers") from None
        if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):  # False for NaN too
            raise CoordinateError(f"({lon}, {lat}) is not a lon/lat position: longitude must "
                                  "lie within ±180 and latitude within ±90")
        if name in ("gcj02", "bd09"):
            gx, gy = to_wgs84(x, y, name)
            x, y = float(gx), float(gy)
        fast = self._cache.get("fast") if self._cache else None
        if fast is None:
            fast = self._fast_path()
        pf, pi, pc, zf, zi, zc, codes, community, township, workers, names, levels = fast
        # grid, state, edge distance (and patrol zone): one compiled call on three arrays
        if zi.shape[0]:
            pid, state, dist, zid = locate_full(x, y, pf, pi, pc, zf, zi, zc)
        else:
            pid, state, dist = locate_packed(x, y, pf, pi, pc, True)
            zid = -1
        match = "inside" if state == INSIDE else "boundary"
        overlap = None
        if pid >= 0 and self._cache["overlaps"]:  # a layer with overlaps (found once)
            overlap = self._cache["overlaps"].codes_at(x, y)[0]
            if overlap is not None:
                match = "overlap"
        if pid < 0:
            pid, dist = self._snap_one(x, y)
            if pid < 0:
                raise OutsideDistrictError(
                    f"({x:.6f}, {y:.6f}) lies outside the district, more than "
                    f"{self.snap_tolerance_m:g} m from any grid; check the coordinates and "
                    f"their system (got crs={name!r})")
            match = "snapped"
        return _new_location(Location, (x, y, name, codes[pid], community[pid], township[pid],
                                        None if zid < 0 else levels[zid], workers[pid],
                                        names[pid], match, dist, overlap))

    def _fast_path(self) -> tuple:
        """Everything :meth:`locate` reads, in one tuple (per-grid fields as Python lists)."""
        g = self.grid_index
        zf, zi, zc, _ = self._zone_args()
        self._overlaps()
        fast = (g.pf, g.pi, g.pc, zf, zi, zc, *self._python_lists())
        self._cache["fast"] = fast
        return fast

    def _python_lists(self) -> tuple[list, ...]:
        """The per-grid fields as Python lists: the cheapest lookup for one point."""
        got = self._caches().get("lists")
        if got is None:
            got = (self.codes.tolist(), self.community.tolist(), self.township.tolist(),
                   [None if pd.isna(w) else int(w) for w in self.workers],
                   self.worker_names.tolist(),
                   self.zone_levels.tolist())
            self._cache["lists"] = got
        return got

    def _overlaps(self) -> Overlaps:
        """The layer's overlapping pieces (found once; none in a clean layer)."""
        got = self._caches().get("overlaps")
        if got is None:
            got = Overlaps(self.geoms, self.codes)
            self._cache["overlaps"] = got
        return got

    def _caches(self) -> dict[str, Any]:
        if getattr(self, "_cache", None) is None:
            self._cache = {}
        return self._cache

    def _zone_args(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Packed zone arrays and each zone's patrol-level code (empty: no zones)."""
        got = self._caches().get("zones")
        if got is None:
            if self.zone_index is None:
                got = _NO_ZONES
            else:
                z = self.zone_index
                code = pd.Categorical(self.zone_levels, categories=PATROL_LEVELS).codes
                got = (z.pf, z.pi, z.pc, np.asarray(code, np.int8))
            self._cache["zones"] = got
        return got

    def _lonely_cells(self) -> np.ndarray:
        """Table cells whose points have no grid within snapping reach (cached)."""
        got = self._caches().get("lonely")
        if got is None:
            g = self.grid_index
            got = lonely_cells(g.cells, int(g.nx), int(g.ny))
            self._cache["lonely"] = got
        return got

    def _snap_one(self, x: float, y: float) -> tuple[int, float]:
        """Nearest grid within the tolerance of a point in none (-1: none), and the distance.

        The compiled scan of ``gridgis.index._kernels.snap.snap_one``, which
        :meth:`assign` runs too; where a cell within reach keeps no edges, the
        tree search of :meth:`_snap_near` decides.
        """
        if self.snap_tolerance_m <= 0:
            return -1, math.nan
        g = self.grid_index
        pid, dist = snap_packed(x, y, g.pf, g.pi, g.pc, float(self.snap_tolerance_m))
        if pid == -2:
            ids, dists = self._snap_near(np.array([x]), np.array([y]))
            return int(ids[0]), float(dists[0])
        return int(pid), float(dist)

    def _snap_near(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest grid within the tolerance (metres on the local plane) by a tree search, else -1.

        For the few points the compiled scan leaves undecided.
        """
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        ids = np.full(len(x), -1, np.int64)
        dist = np.full(len(x), np.nan)
        if len(x) == 0:
            return ids, dist
        # every grid within a radius in degrees safely larger than the tolerance (not only
        # the nearest in degrees, which need not be the nearest in metres), then in metres
        radius = self.snap_tolerance_m / 110_000.0 / max(math.cos(math.radians(
            float(np.nanmax(np.abs(y))))), 0.05)
        pts = shapely.points(x, y)
        which, pid = self._tree.query(pts, predicate="dwithin", distance=radius)
        for w, p in zip(which, pid, strict=True):  # only the few points in no grid
            d = self.grid_index.edge_distance(int(p), float(x[w]), float(y[w]))
            if d <= self.snap_tolerance_m and (
                    ids[w] < 0 or d < dist[w] or (d == dist[w] and p < ids[w])):
                ids[w], dist[w] = p, d
        return ids, dist

    # -- many points -----------------------------------------------------------------------
    def assign(self, points: Any = None, *, lon: Any = None, lat: Any = None,
               crs: str = "wgs84", with_distance: bool = True) -> pd.DataFrame:
        """Locate many points at once (vectorized; compiled on the hot path).

        Parameters
        ----------
        points : geopandas.GeoDataFrame, GeoSeries or GeoArrow point array, optional
            Points in any CRS (converted to lon/lat); the result keeps their index.
            A GeoArrow array (``pyarrow``, or anything exporting the Arrow C data
            interface, e.g. ``GeoSeries.to_arrow(geometry_encoding="geoarrow")``;
            interleaved or separated coordinates) holds lon/lat in the system
            named by ``crs``; its coordinates are read without shapely (see
            :mod:`gridgis.index.arrow_points`).
        lon, lat : array-like, optional
            Coordinates instead of ``points``, in the system named by ``crs``
            (numpy arrays are read as they are: no shapely either).
        crs : str, default "wgs84"
            System of ``lon``/``lat`` (or of GeoArrow points): ``wgs84``,
            ``cgcs2000``, ``gcj02``, ``bd09``.
        with_distance : bool, default True
            Measure each point's distance to its grid's edge.

        Returns
        -------
        pandas.DataFrame
            One row per input point, same order and index: ``grid_code``,
            ``community_code``, ``township_code``, ``patrol_level``, ``workers``,
            ``match`` and ``edge_distance_m`` (and, when the layer has
            overlaps, ``overlap_codes``: the comma-joined codes of every grid
            of the overlap a point with ``match="overlap"`` lies in). Codes,
            levels and matches are
            categorical; ``workers`` is a nullable integer (``Int32`` when every
            count fits, else ``Int64``). Bad coordinates give ``match="invalid"``;
            nothing is dropped or duplicated.
        """
        index: pd.Index
        values: np.ndarray | None = None
        lon_all = lat_all = None
        name = "wgs84"
        if points is not None and not isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)) \
                and is_arrow(points):
            lon, lat = arrow_lonlat(points)
            points = None
        if points is not None:
            geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
            if geo.crs is not None and geo.crs.to_epsg() not in (4326, 4490):
                geo = geo.to_crs(4326)
            index = points.index
            values = np.asarray(geo.values)
            n = len(values)
        else:
            if lon is None or lat is None:
                raise CoordinateError("give points, or lon and lat")
            lon_all = np.asarray(lon, dtype=np.float64).ravel()
            lat_all = np.asarray(lat, dtype=np.float64).ravel()
            if lon_all.shape != lat_all.shape:
                raise CoordinateError("lon and lat differ in length")
            n = len(lon_all)
            index = pd.RangeIndex(n)
            name = normalize_crs_name(crs)
        zones = self._zone_args()
        threads = start_threads()
        with _threads_for(n, threads) as threads:
            return self._assign(values, lon_all, lat_all, n, index, name, with_distance,
                                threads, zones)

    def _assign(self, values: np.ndarray | None, lon_all: np.ndarray | None,
                lat_all: np.ndarray | None, n: int, index: pd.Index, name: str,
                with_distance: bool, threads: int, zones: tuple) -> pd.DataFrame:
        """:meth:`assign` once the input is read and the thread count chosen."""
        # answers, buffers and columns are new memory written by several threads at
        # once: see _kernels.batch.written_empty
        new = written_empty
        ids, match, level, dist = new(n, np.int32), new(n, np.int8), new(n, np.int8), new(n)
        g = self.grid_index
        overlaps = self._overlaps()
        overlap_codes = np.full(n, None, dtype=object) if len(overlaps) else None
        work = workspace(min(n, BLOCK))  # the compiled pass's buffers, reused
        if values is not None:  # ... and the coordinates' buffers
            x_buf, y_buf = new(min(n, BLOCK)), new(min(n, BLOCK))
        # coordinates are read BLOCK points at a time: only the answers are kept for all
        for start in range(0, n, BLOCK):
            stop = min(n, start + BLOCK)
            if values is not None:
                x, y = x_buf[:stop - start], y_buf[:stop - start]
                _point_xy(values[start:stop], x, y, threads)
            else:
                x, y = lon_all[start:stop], lat_all[start:stop]
                if name in ("gcj02", "bd09"):
                    x, y = to_wgs84(x, y, name)
                x = np.ascontiguousarray(x, dtype=np.float64)
                y = np.ascontiguousarray(y, dtype=np.float64)
            part = slice(start, stop)
            # validity, grid, match, edge distance and patrol level: one compiled pass
            assign_points(x, y, g.pf, g.pi, g.pc, *zones, with_distance,
                          float(self.snap_tolerance_m), ids[part], match[part], level[part],
                          dist[part], threads, work, self._lonely_cells())
            # in no grid, undecided: the few to snap
            lost = np.flatnonzero(match[part] == MATCH_UNDECIDED)
            if len(lost):
                match[start + lost] = MATCH_OUTSIDE
                snap_ids, snap_d = self._snap_near(x[lost], y[lost])
                got = lost[snap_ids >= 0]
                ids[start + got] = snap_ids[snap_ids >= 0]
                dist[start + got] = snap_d[snap_ids >= 0]
                match[start + got] = MATCH_SNAPPED
            if len(overlaps):  # points in an overlap of the layer: say so, with every grid
                held = np.flatnonzero((match[part] <= MATCH_BOUNDARY) & overlaps.near(x, y))
                for k, codes in zip(held, overlaps.codes_at(x[held], y[held]), strict=True):
                    if codes is not None:
                        match[start + k] = MATCH_OVERLAP
                        overlap_codes[start + k] = ",".join(codes)
        columns = {}
        for name in ("grid_code", "community_code", "township_code"):
            table, dtype = self._column(name)
            if table is None:  # the grid's own code, one category per grid: ids are codes
                codes = ids
            else:
                codes = new(n, _code_dtype(dtype))
                gather(ids, table, -1, codes)
            columns[name] = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
        columns["patrol_level"] = pd.Categorical.from_codes(
            level, dtype=self._column("patrol_level")[1], validate=False)
        w_values, w_missing = self._column("workers")
        values = new(n, w_values.dtype)
        gather(ids, w_values, 0, values)
        mask = new(n, np.bool_)
        gather(ids, w_missing, True, mask)
        columns["workers"] = pd.arrays.IntegerArray(values, mask)
        columns["match"] = pd.Categorical.from_codes(match, dtype=self._column("match")[1],
                                                     validate=False)
        columns["edge_distance_m"] = dist
        if overlap_codes is not None:
            columns["overlap_codes"] = overlap_codes
        return pd.DataFrame(columns, index=index, copy=False)

    def _column(self, name: str) -> tuple[Any, Any]:
        """Per-grid lookup table and categorical dtype of an output column (cached)."""
        key = f"col_{name}"
        got = self._caches().get(key)
        if got is not None:
            return got
        if name in ("grid_code", "community_code", "township_code"):
            values = {"grid_code": self.codes, "community_code": self.community,
                      "township_code": self.township}[name]
            codes, uniques = pd.factorize(values)
            dtype = pd.CategoricalDtype(pd.Index(uniques, dtype=object))
            table = codes.astype(np.int32)
            if name == "grid_code" and _code_dtype(dtype) == np.int32 and \
                    np.array_equal(table, np.arange(len(table))):
                table = None
            got = (table, dtype)
        elif name == "patrol_level":
            got = (None, pd.CategoricalDtype(PATROL_LEVELS))
        elif name == "match":
            got = (None, pd.CategoricalDtype(list(MATCHES)))
        else:  # workers: values and missing flags, 32-bit when the counts fit
            w = pd.array(self.workers, dtype="Int64")
            counts = np.asarray(w.to_numpy(dtype=np.int64, na_value=0))
            if np.abs(counts).max(initial=0) < 2**31:
                counts = counts.astype(np.int32)
            got = (counts, np.asarray(w.isna(), dtype=np.bool_))
        self._cache[key] = got
        return got

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the index to one ``.npz`` file that :meth:`load` reads without rebuilding.

        The file holds only plain arrays (numbers and fixed-width strings; each
        vertex once, the polygons rebuilt from them when needed; the layer's
        overlaps, if any, as WKB bytes with offsets) and, in ``meta``, the format,
        the snapping tolerance and the SHA-256 of every other array. The arrays
        are stored uncompressed, so :meth:`load` maps them from the file.
        """
        path = Path(path)
        workers = pd.array(self.workers, dtype="Int64")
        overlaps = self._overlaps()
        ov_wkb, ov_offsets = join_bytes(shapely.to_wkb(overlaps.pieces))
        arrays = {**self.grid_index.to_arrays("g_"),
                  "codes": _compact(self.codes), "community": _compact(self.community),
                  "township": _compact(self.township),
                  "workers": workers.to_numpy(dtype=np.int64, na_value=0),
                  "workers_missing": np.asarray(workers.isna(), dtype=np.bool_),
                  "worker_names": _compact([w or "" for w in self.worker_names]),
                  "overlap_wkb": ov_wkb, "overlap_offsets": ov_offsets,
                  "overlap_members": np.array([_MEMBER_SEP.join(m) for m in overlaps.members],
                                              dtype=str)}
        if self.zone_index is not None:
            arrays |= self.zone_index.to_arrays("z_")
            arrays["zone_levels"] = self.zone_levels.astype(str)
        arrays["meta"] = to_json({"format": FORMAT_VERSION,
                                  "snap_tolerance_m": self.snap_tolerance_m,
                                  "sha256": digest(arrays)})
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, sha256: str | None = None,
             mmap: bool = True) -> GridIndex:
        """Read an index written by :meth:`save`.

        Parameters
        ----------
        path : path-like
            The ``.npz`` file.
        sha256 : str, optional
            The digest the file must carry (the one :meth:`saved_digest` gave when
            it was written): another valid index file is refused too.
        mmap : bool, default True
            Map the arrays from the file (copy-on-write) instead of reading them:
            service workers that load the same file share one copy in memory.
            No GEOS geometry is made: the grid polygons are rebuilt from the
            index's vertices only when a rare path first needs them.

        Raises
        ------
        LayerError
            The file is from another gridgis version, holds anything but plain
            arrays (a pickled object is refused, never run), its arrays do not
            match the digest written with them (a damaged or altered file), or
            that digest is not ``sha256``.
        """
        try:
            data = read_plain(path, mmap=mmap)
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise LayerError(f"索引文件 {path} 无法读取或含有非数值数组，请重建 / {path} is not a "
                             f"grid index of plain arrays ({exc}); rebuild it",
                             layer="grids") from None
        try:
            meta = from_json(data["meta"])
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
                raise ValueError(meta)
        except (KeyError, ValueError):
            raise LayerError(f"索引文件 {path} 来自其他版本，请重建 / {path} was written by "
                             "another gridgis version; rebuild it", layer="grids") from None
        if sha256 is not None and meta.get("sha256") != sha256:
            raise LayerError(f"索引文件 {path} 不是所期望的那一份，请重建 / {path} is not the "
                             "index file expected (another digest); rebuild it", layer="grids")
        if meta.get("sha256") != digest(data):
            raise LayerError(f"索引文件 {path} 内容与其摘要不符，请重建 / the arrays of {path} "
                             "do not match their SHA-256 digest (damaged or altered); rebuild it",
                             layer="grids")
        self = cls.__new__(cls)
        self.grid_index = PolygonIndex.from_arrays(data, "g_")
        self.codes = _text(data["codes"])
        self.community = _text(data["community"])
        self.township = _text(data["township"])
        missing = data["workers_missing"]
        self.workers = data["workers"] if not missing.any() else \
            np.array([None if m else int(w) for w, m in zip(data["workers"], missing,
                                                              strict=True)], dtype=object)
        self.worker_names = np.array([w or None for w in _text(data["worker_names"])],
                                     dtype=object)
        self._geoms = None
        self.snap_tolerance_m = float(meta["snap_tolerance_m"])
        self.zone_index = PolygonIndex.from_arrays(data, "z_") if "z_pc" in data else None
        self.zone_levels = data["zone_levels"].astype(object) \
            if "zone_levels" in data else np.empty(0, dtype=object)
        self._tree = None
        pieces = shapely.from_wkb(split_bytes(data["overlap_wkb"], data["overlap_offsets"]))
        members = [tuple(str(m).split(_MEMBER_SEP)) for m in data["overlap_members"]]
        self._cache = {"overlaps": Overlaps.from_pieces(pieces, members)}
        return self

    @staticmethod
    def saved_digest(path: str | os.PathLike[str]) -> str:
        """The SHA-256 of the arrays of an index file, as written in it (read alone)."""
        return str(read_meta(path)["sha256"])

    @property
    def geoms(self) -> np.ndarray:
        """The grid polygons (rebuilt from the index's vertices on first use after a load)."""
        if self._geoms is None:
            self._geoms = self.grid_index.geometries()
        return self._geoms

    @geoms.setter
    def geoms(self, value: np.ndarray) -> None:
        self._geoms = value

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tree"] = None
        state["_cache"] = {}
        state["_geoms"] = None  # rebuilt from the index's vertices when needed
        return state


@contextlib.contextmanager
def _threads_for(n: int, threads: int) -> Iterator[int]:
    """The compiled passes' thread count for ``n`` points: one below :data:`ONE_THREAD_BELOW`.

    numba's count is set for the calling thread only, and restored afterwards.
    """
    if threads <= 1 or n >= ONE_THREAD_BELOW:
        yield threads
        return
    numba.set_num_threads(1)
    try:
        yield 1
    finally:
        numba.set_num_threads(threads)


def _compact(values: Any) -> np.ndarray:
    """Strings as a fixed-width array: one byte a character when all are ASCII.

    Codes are; names in Chinese keep numpy's four bytes a character.
    """
    text = np.asarray(values, dtype=str)
    try:
        return text.astype(np.bytes_)
    except UnicodeEncodeError:
        return text


def _text(array: np.ndarray) -> np.ndarray:
    """The strings :func:`_compact` stored, as an object array of ``str``."""
    return (array.astype(str) if array.dtype.kind == "S" else array).astype(object)


def _code_dtype(dtype: pd.CategoricalDtype) -> type:
    """The integer type pandas keeps categorical codes in, for this many categories."""
    n = len(dtype.categories)
    for t in (np.int8, np.int16, np.int32):
        if n < np.iinfo(t).max:
            return t
    return np.int64


_XY_PIECE = 1 << 17  # points per piece when coordinates are read on several threads


def _point_xy(values: np.ndarray, x: np.ndarray, y: np.ndarray, threads: int = 1) -> None:
    """Coordinates of point geometries written into ``x`` and ``y`` (NaN: no point).

    Missing, empty and non-point geometries give NaN. Shapely releases the GIL while
    it reads geometries, so large inputs are read in pieces on ``threads`` threads.
    """
    n = len(values)
    try:  # one pass each, straight into the buffers
        if threads <= 1 or n < 2 * _XY_PIECE:
            shapely.get_x(values, out=x)
            shapely.get_y(values, out=y)
            return

        def read(a: int) -> None:
            b = min(n, a + _XY_PIECE)
            shapely.get_x(values[a:b], out=x[a:b])
            shapely.get_y(values[a:b], out=y[a:b])

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(read, range(0, n, _XY_PIECE)))
        return
    except shapely.errors.GEOSException:  # empty points among them
        pass
    ok = ~(shapely.is_missing(values) | shapely.is_empty(values))
    x[:] = np.nan
    y[:] = np.nan
    if ok.any():
        xy = shapely.get_coordinates(values[ok])
        x[ok] = xy[:, 0]
        y[ok] = xy[:, 1]
