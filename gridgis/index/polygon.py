"""A compiled index answering "which polygon contains this lon/lat point?".

:class:`PolygonIndex` flattens polygons (holes and multipolygons included)
into edge arrays, bands each polygon's edges by latitude, and lays a uniform
cell table over the extent, with finer tables in cells crossed by many polygons
or edges. Cells touched by no edge are answered from the table (the polygon
that covers them, or none). A cell an edge passes through keeps a record: the
polygon at its centre and its own few edges, so a point there is answered by
counting the edges that the segment from the centre to the point crosses (and
its edge distance from those edges when the nearest lies within the cell);
only degenerate cases run the full crossing-number test on the cell's candidate
polygons. Everything lives in three flat arrays (``pf``, ``pi``, ``pc``) so that
a compiled call takes few arguments. Everything works in lon/lat: no point is
projected.

Points on an edge or a vertex are reported as ``BOUNDARY`` together with the
lowest-numbered polygon whose closure contains them. "On" means within the
rounding error of the orientation test, about 1e-15 relative: nanometres.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

from gridgis.errors import LayerError
from gridgis.index._kernels import before_first_use
from gridgis.index._kernels.batch import query_points, start_threads, workspace
from gridgis.index._kernels.build import (
    MAX_SUB,
    build_lists,
    build_records,
    busy_geometries,
    mark_edges,
    refine_cells,
    runs,
    table_boxes,
)
from gridgis.index._kernels.layout import (
    BOUNDARY,
    C_PARTS,
    F_PARTS,
    HEADER,
    I_PARTS,
    INSIDE,
    MAX_POLYGONS,
    NONE,
    SPANS,
    Bands,
)
from gridgis.index._kernels.locate import edge_distance_packed, locate_packed

__all__ = ["BOUNDARY", "INSIDE", "NONE", "PolygonIndex"]

EDGES_PER_BAND = 8
REFINE_ABOVE = 6  # a cell with more candidate polygons gets a finer table of its own
EDGES_PER_CELL = 16  # ... and so does a cell crossed by more edges
SUBCELLS_PER_EDGE = 0.5  # a finer table has about this many cells per edge crossing its cell
_WIDTH = {"verts": 2}
_SHAPE = ("ring_ptr", "part_ptr", "geom_ptr", "multi")  # how the vertices make the polygons


class PolygonIndex:
    """Locate lon/lat points in a set of polygons, fast and exactly once.

    Parameters
    ----------
    geometries : array-like of Polygon or MultiPolygon
        In lon/lat. Their order gives the ids returned; on a shared edge the
        lowest id wins.
    cells_per_polygon : float, default 32
        Size of the cell table relative to the number of polygons.
    max_cells : int, default 50,000,000
        Upper bound on the cell table.

    Examples
    --------
    >>> import shapely
    >>> idx = PolygonIndex([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> ids, state, dist = idx.query([0.5, 1.0, 3.0], [0.5, 0.5, 0.5])
    >>> ids.tolist(), state.tolist()
    ([0, 0, -1], [0, 1, 2])
    """

    def __init__(self, geometries: Any, *, cells_per_polygon: float = 32.0,
                 max_cells: int = 50_000_000) -> None:
        geoms = np.asarray(geometries, dtype=object)
        if len(geoms) == 0:
            raise LayerError("no polygons to index", layer="grids")
        kinds = shapely.get_type_id(geoms)
        if not np.isin(kinds, (3, 6)).all():
            raise LayerError("only polygons and multipolygons can be indexed", layer="grids")
        if len(geoms) >= MAX_POLYGONS:
            raise LayerError(f"one index holds fewer than {MAX_POLYGONS:,} polygons",
                             layer="grids")
        before_first_use()
        self.n = len(geoms)
        self._edges(geoms)
        self._bands()
        self._cells(geoms, cells_per_polygon, max_cells)
        self._lists()
        self._pack()
        del self.evert, self.epoly  # build-only: the bands and records name the edges

    # -- construction ----------------------------------------------------------------------
    def _edges(self, geoms: np.ndarray) -> None:
        """The vertices, ring after ring (each closed), and each edge's first vertex."""
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        coords, vert_of = shapely.get_coordinates(rings, return_index=True)
        if len(coords) >= 2**31 - 2:
            raise LayerError("too many vertices for one index (2^31)", layer="grids")
        first = np.flatnonzero(vert_of[1:] == vert_of[:-1])  # an edge from each vertex
        poly = part_of[ring_of[vert_of[first]]]  # in polygon order already
        self.verts = np.ascontiguousarray(coords, dtype=np.float64)
        self.evert = first.astype(np.int32)
        self.epoly = poly.astype(np.int32)
        self.ring_ptr = np.zeros(len(rings) + 1, np.int64)
        self.ring_ptr[1:] = np.cumsum(np.bincount(vert_of, minlength=len(rings)))
        self.part_ptr = np.zeros(len(parts) + 1, np.int64)
        self.part_ptr[1:] = np.cumsum(np.bincount(ring_of, minlength=len(parts)))
        self.geom_ptr = np.zeros(self.n + 1, np.int64)
        self.geom_ptr[1:] = np.cumsum(np.bincount(part_of, minlength=self.n))
        self.multi = shapely.get_type_id(geoms) == 6
        self.bounds = shapely.total_bounds(geoms)

    def _bands(self) -> None:
        n = self.n
        counts = np.bincount(self.epoly, minlength=n)
        ya, yb = self.verts[self.evert, 1], self.verts[self.evert + 1, 1]
        ylo = np.minimum(ya, yb)
        yhi = np.maximum(ya, yb)
        del ya, yb
        pmin = np.full(n, np.inf)
        pmax = np.full(n, -np.inf)
        np.minimum.at(pmin, self.epoly, ylo)
        np.maximum.at(pmax, self.epoly, yhi)
        band_n = np.maximum(1, np.ceil(counts / EDGES_PER_BAND)).astype(np.int64)
        band_h = (pmax - pmin) / band_n
        band_h[band_h <= 0] = 1e-12
        b0 = np.clip(np.floor((ylo - pmin[self.epoly]) / band_h[self.epoly]), 0,
                     band_n[self.epoly] - 1).astype(np.int64)
        b1 = np.clip(np.floor((yhi - pmin[self.epoly]) / band_h[self.epoly]), 0,
                     band_n[self.epoly] - 1).astype(np.int64)
        band_off = np.zeros(n + 1, np.int64)
        band_off[1:] = np.cumsum(band_n)
        reps = b1 - b0 + 1
        edge = np.repeat(np.arange(len(self.epoly)), reps)
        within = np.arange(len(edge)) - np.repeat(np.cumsum(reps) - reps, reps)
        gband = band_off[self.epoly[edge]] + b0[edge] + within
        order = np.argsort(gband, kind="stable")
        # each band's edges (their first vertices) stored contiguously
        self.band_ev = self.evert[edge[order]]
        self.band_ptr = np.zeros(band_off[-1] + 1, np.int64)
        self.band_ptr[1:] = np.cumsum(np.bincount(gband, minlength=band_off[-1]))
        self.band_lo, self.band_h, self.band_n = pmin, band_h, band_n
        self.band_off = band_off[:-1].copy()

    def _cells(self, geoms: np.ndarray, cells_per_polygon: float, max_cells: int) -> None:
        minx, miny, maxx, maxy = self.bounds
        lat = (miny + maxy) / 2
        aspect = math.cos(math.radians(lat))  # make cells roughly square on the ground
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        target = int(min(max(cells_per_polygon * self.n, 1024), max_cells))
        side = math.sqrt(width * aspect * height / target)
        nx = max(1, math.ceil(width * aspect / side))
        ny = max(1, math.ceil(height / side))
        pad_x, pad_y = width * 1e-9, height * 1e-9
        self.x0, self.y0 = minx - pad_x, miny - pad_y
        self.dx = (width + 2 * pad_x) / nx
        self.dy = (height + 2 * pad_y) / ny
        self.nx, self.ny = nx, ny
        args = (self.evert, self.verts, self.epoly, self.x0, self.y0, self.dx, self.dy, nx, ny)
        empty = np.empty(0, np.int64)
        total = mark_edges(*args, True, empty, empty.astype(np.int32))
        cell = np.empty(total, np.int64)
        poly = np.empty(total, np.int32)
        mark_edges(*args, False, cell, poly)
        raw_cell = cell
        tree = shapely.STRtree(geoms)
        # a polygon may also cover a cell crossed only by other polygons' edges (a polygon
        # inside another, overlaps): add the polygons that contain each such cell's centre
        touched = np.unique(cell)
        cx = self.x0 + (touched % nx + 0.5) * self.dx
        cy = self.y0 + (touched // nx + 0.5) * self.dy
        pt_idx, poly_idx = tree.query(shapely.points(cx, cy), predicate="intersects")
        cell = np.concatenate([cell, touched[pt_idx]])
        poly = np.concatenate([poly, poly_idx.astype(np.int32)])
        key = np.unique(cell * self.n + poly)
        cell, poly = key // self.n, (key % self.n).astype(np.int32)
        boundary_cells, first = np.unique(cell, return_index=True)
        cells = np.full(nx * ny, -1, np.int32)
        cells[boundary_cells] = -2 - np.arange(len(boundary_cells), dtype=np.int32)
        self.cand_ptr = np.append(first, len(cell)).astype(np.int64)
        self.cand_ids = poly
        # the rest: runs of untouched cells take the polygon covering one of their centres
        is_boundary = cells < -1
        run = runs(is_boundary, nx, ny)
        nruns = int(run.max()) + 1 if (run >= 0).any() else 0
        if nruns:
            start = np.full(nruns, -1, np.int64)
            flat = np.flatnonzero(run >= 0)
            start[run[flat]] = flat  # any cell of a run will do: none touches an edge
            cx = self.x0 + (start % nx + 0.5) * self.dx
            cy = self.y0 + (start // nx + 0.5) * self.dy
            pt_idx, poly_idx = tree.query(shapely.points(cx, cy), predicate="intersects")
            value = np.full(nruns, -1, np.int32)
            value[pt_idx] = poly_idx
            cells[flat] = value[run[flat]]
        self.cells = cells
        # each boundary cell as (centre x, centre y, half width, half height)
        # (computed as the locate kernels compute them: the records do not keep them)
        self._box = [table_boxes(boundary_cells, self.x0, self.y0, self.dx, self.dy, nx)]
        self._refine(boundary_cells, np.bincount(np.searchsorted(boundary_cells, raw_cell),
                                                 minlength=len(boundary_cells)))

    def _refine(self, boundary_cells: np.ndarray, edge_hits: np.ndarray) -> None:
        """Give each busy boundary cell (many polygons or edges) a finer table of its own.

        The finer table has about one sub-cell per edge crossing the cell, so that a
        point's cell holds few edges (see ``_kernels.locate.cross_test``).
        """
        counts = np.diff(self.cand_ptr)
        busy = np.flatnonzero((counts > REFINE_ABOVE) | (edge_hits > EDGES_PER_CELL))
        self.list_sub = np.full(len(counts), -1, np.int64)
        self.list_sub[busy] = np.arange(len(busy))
        ms = np.clip(np.maximum(np.ceil(2 * np.sqrt(counts[busy])),
                                np.ceil(np.sqrt(edge_hits[busy] * SUBCELLS_PER_EDGE))),
                     2, MAX_SUB).astype(np.int64)
        c = boundary_cells[busy]
        geo = busy_geometries(c, ms, self.x0, self.y0, self.dx, self.dy, self.nx)
        edge_ptr = np.zeros(self.n + 1, np.int64)
        edge_ptr[1:] = np.cumsum(np.bincount(self.epoly, minlength=self.n))
        sub, offs, new_cnt, new_ids, new_box = refine_cells(
            busy, ms, geo, self.cand_ptr, self.cand_ids, edge_ptr, self.evert,
            self._bands_view(), len(counts))
        self.cand_ptr = np.concatenate([self.cand_ptr, self.cand_ptr[-1] + np.cumsum(new_cnt)])
        self.cand_ids = np.concatenate([self.cand_ids, new_ids]).astype(np.int32)
        self._box.append(new_box)
        self.sub_int = np.column_stack([ms, offs]).astype(np.int64).reshape(-1, 2)
        self.sub_cells = sub

    def _bands_view(self) -> Bands:
        """The edge bands, as the build kernels take them."""
        return Bands(self.band_lo, self.band_h, self.band_n, self.band_off, self.band_ptr,
                     self.band_ev, self.verts)

    def _lists(self) -> None:
        """Each boundary cell's own edges and the polygon at its centre.

        See ``_kernels.locate.cross_test``.
        """
        box = np.ascontiguousarray(np.concatenate(self._box))
        del self._box
        skip = np.zeros(len(box), np.bool_)
        skip[:len(self.list_sub)] = self.list_sub >= 0  # busy: points go to the finer table
        edge_ptr = np.zeros(self.n + 1, np.int64)
        edge_ptr[1:] = np.cumsum(np.bincount(self.epoly, minlength=self.n))
        start_threads()  # build_lists is the first parallel kernel an index runs
        (self.lst_ptr, self.lst_ev, self.lst_pid,
         self.lst_ref) = build_lists(box, skip, self.cand_ptr, self.cand_ids, edge_ptr,
                                     self.evert, self._bands_view())

    def _pack(self) -> None:
        """Lay every array into three flat ones (``pf``, ``pi``, ``pc``) and view them back.

        A compiled call then takes three arguments instead of twenty: that is most
        of the cost of locating one point.
        """
        self.cells, self.sub_cells, self.rec = build_records(
            self.cells, self.list_sub, self.sub_int, self.sub_cells, self.lst_ptr, self.lst_ev,
            self.lst_pid, self.lst_ref)
        del self.list_sub, self.sub_int, self.lst_ptr, self.lst_ev, self.lst_pid, self.lst_ref
        if len(self.cand_ptr) and self.cand_ptr[-1] >= 2**31:
            raise LayerError("too many cell candidates for one index (2^31)", layer="grids")
        parts = {"i": I_PARTS, "f": F_PARTS, "c": C_PARTS}
        dtypes = {"i": np.int64, "f": np.float64, "c": np.int32}
        spans: dict[str, tuple[int, int]] = {}
        flat: dict[str, list[np.ndarray]] = {}
        for kind, names in parts.items():
            pos = HEADER if kind == "i" else (4 if kind == "f" else 0)
            flat[kind] = []
            for name in names:
                a = np.asarray(getattr(self, name)).ravel()
                spans[name] = (pos, pos + len(a))
                flat[kind].append(a.astype(dtypes[kind], copy=False))
                pos += len(a)
        header = [self.nx, self.ny, self.n]
        for names in parts.values():
            for name in names:
                header += list(spans[name])
        self.pi = np.concatenate([np.array(header, np.int64), *flat["i"]])
        self.pf = np.concatenate([np.array([self.x0, self.y0, self.dx, self.dy]), *flat["f"]])
        self.pc = np.concatenate([np.empty(0, np.int32), *flat["c"]])
        self._views()

    def _views(self) -> None:
        """Attributes as views into the packed arrays (no copies)."""
        for kind, names in (("pi", I_PARTS), ("pf", F_PARTS), ("pc", C_PARTS)):
            buf = getattr(self, kind)
            for name in names:
                k = (I_PARTS + F_PARTS + C_PARTS).index(name)
                a, b = self.pi[SPANS + 2 * k], self.pi[SPANS + 2 * k + 1]
                view = buf[a:b]
                if name in _WIDTH:
                    view = view.reshape(-1, _WIDTH[name])
                setattr(self, name, view)

    # -- queries ---------------------------------------------------------------------------
    def query(self, lon: Any, lat: Any, *, with_distance: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Polygon id (-1: none), state (INSIDE, BOUNDARY, NONE) and edge distance (m).

        Parameters
        ----------
        lon, lat : array-like
            Points in the polygons' lon/lat; NaN gives ``(-1, NONE, nan)``.
        with_distance : bool, default True
            Also measure the distance from each point to its polygon's edge,
            in metres on the local plane (ellipsoidal radii of curvature at the
            point; within 0.1 % of Gauss-Krüger over a grid's extent).
        """
        x = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        y = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        ids = np.empty(len(x), np.int32)
        state = np.empty(len(x), np.int8)
        dist = np.empty(len(x), np.float64)
        threads = start_threads()
        query_points(x, y, self.pf, self.pi, self.pc, with_distance, ids, state, dist, threads,
                     workspace(len(x)))
        return ids, state, dist

    def query_one(self, lon: float, lat: float) -> tuple[int, int]:
        """Polygon id and state of one point (no distance)."""
        pid, state, _ = locate_packed(float(lon), float(lat), self.pf, self.pi, self.pc,
                                      False)
        return pid, state

    def edge_distance(self, pid: int, lon: float, lat: float) -> float:
        """Distance in metres from a point to polygon ``pid``'s boundary."""
        return edge_distance_packed(pid, float(lon), float(lat), self.pf, self.pi, self.pc)

    def geometries(self) -> np.ndarray:
        """The indexed polygons, rebuilt from the index's own vertices (no other copy kept).

        The same coordinates, rings and parts as the polygons given (in two dimensions);
        for the rare paths that need GEOS (a tree search, overlaps).
        """
        multi = shapely.from_ragged_array(
            shapely.GeometryType.MULTIPOLYGON, np.ascontiguousarray(self.verts),
            (np.asarray(self.ring_ptr), np.asarray(self.part_ptr),
             np.asarray(self.geom_ptr)))
        single = self.geom_ptr[1:] - self.geom_ptr[:-1] == 1
        out = multi.copy()
        polys = single & ~np.asarray(self.multi, dtype=bool)
        out[polys] = shapely.get_geometry(multi[polys], 0)
        return out

    # -- persistence -----------------------------------------------------------------------
    def to_arrays(self, prefix: str = "") -> dict[str, Any]:
        """The index as named arrays (for ``numpy.savez``)."""
        out = {f"{prefix}{name}": getattr(self, name) for name in ("pf", "pi", "pc")}
        out[f"{prefix}grid"] = np.array([self.x0, self.y0, self.dx, self.dy, self.nx, self.ny,
                                         self.n], dtype=np.float64)
        out[f"{prefix}bounds"] = np.asarray(self.bounds, dtype=np.float64)
        for name in _SHAPE:
            out[f"{prefix}{name}"] = getattr(self, name)
        return out

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str = "") -> PolygonIndex:
        """Rebuild from :meth:`to_arrays` output without recomputing anything."""
        if f"{prefix}pf" not in arrays:
            raise LayerError("this index was written by another gridgis version; rebuild it",
                             layer="grids")
        before_first_use()
        self = cls.__new__(cls)
        for name in ("pf", "pi", "pc"):
            setattr(self, name, np.ascontiguousarray(arrays[f"{prefix}{name}"]))
        self._views()
        x0, y0, dx, dy, nx, ny, n = arrays[f"{prefix}grid"]
        self.x0, self.y0, self.dx, self.dy = float(x0), float(y0), float(dx), float(dy)
        self.nx, self.ny, self.n = int(nx), int(ny), int(n)
        self.bounds = tuple(arrays[f"{prefix}bounds"])
        for name in _SHAPE:
            setattr(self, name, arrays[f"{prefix}{name}"])
        return self

    def __getstate__(self) -> dict[str, Any]:
        return self.to_arrays()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(PolygonIndex.from_arrays(state).__dict__)
