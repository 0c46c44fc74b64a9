"""The tile file: MBTiles 1.3 (one SQLite file), written once and read by the service.

The ``metadata`` table names the file, its format (``pbf``), bounds, centre,
zoom range and, in ``json``, the ``vector_layers`` of the tiles; the ``tiles``
table keeps each tile gzipped under its TMS row (counted from the south).
:class:`TileWriter` writes a new file beside the target and moves it into
place when complete, so a half-built basemap is never served;
:class:`TileFile` reads tiles by their XYZ address.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from gridgis.basemap.mercator import tms_row
from gridgis.errors import BasemapError

__all__ = ["TileFile", "TileWriter"]

_SCHEMA = (
    "CREATE TABLE metadata (name TEXT, value TEXT)",
    "CREATE UNIQUE INDEX name ON metadata (name)",
    "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
    "tile_data BLOB)",
    "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)",
)


class TileWriter:
    """Write an MBTiles file: tiles as they come, the metadata at the end.

    Parameters
    ----------
    path : path-like
        The file to write (replaced when :meth:`close` succeeds).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._partial = self.path.with_name(f".{self.path.name}.partial")
        self._partial.unlink(missing_ok=True)
        self._db = sqlite3.connect(self._partial)
        for statement in _SCHEMA:
            self._db.execute(statement)
        self.tiles = 0
        self.bytes = 0

    def add(self, z: int, x: int, y: int, data: bytes) -> None:
        """Store tile ``z/x/y`` (XYZ address; kept under its TMS row), already gzipped."""
        self._db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, tms_row(z, y), data))
        self.tiles += 1
        self.bytes += len(data)

    def close(self, metadata: dict[str, Any]) -> Path:
        """Write ``metadata`` (dicts and lists as JSON) and move the file into place."""
        rows = [(k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                 if isinstance(v, (dict, list)) else str(v)) for k, v in metadata.items()]
        self._db.executemany("INSERT INTO metadata VALUES (?, ?)", rows)
        self._db.commit()
        self._db.close()
        os.replace(self._partial, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file (the target, if any, stays as it was)."""
        self._db.close()
        self._partial.unlink(missing_ok=True)


class TileFile:
    """Read tiles from an MBTiles file (read-only; one connection shared under a lock).

    Parameters
    ----------
    path : path-like
        An MBTiles file of vector tiles (``format`` ``pbf``).

    Raises
    ------
    BasemapError
        When the file is missing or is not an MBTiles file of vector tiles.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise BasemapError(f"底图文件不存在：{self.path} / no basemap file")
        try:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
            rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
        except sqlite3.DatabaseError:
            raise BasemapError(f"{self.path} 不是 MBTiles 瓦片文件 / not an MBTiles file") from None
        self._lock = threading.Lock()
        self.metadata: dict[str, str] = dict(rows)
        if self.metadata.get("format") != "pbf":
            raise BasemapError(f"{self.path} 不是矢量瓦片（format={self.metadata.get('format')}）"
                             " / not vector tiles (format pbf)")
        self.min_zoom = int(self.metadata.get("minzoom", 0))
        self.max_zoom = int(self.metadata.get("maxzoom", 22))

    @property
    def vector_layers(self) -> list[dict[str, Any]]:
        """The ``vector_layers`` of the ``json`` metadata."""
        return json.loads(self.metadata.get("json", "{}")).get("vector_layers", [])

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The stored (gzipped) bytes of XYZ tile ``z/x/y``, or None when there is none."""
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?", (z, x, tms_row(z, y))).fetchone()
        return None if row is None else bytes(row[0])

    def count(self) -> int:
        """How many tiles the file holds."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM tiles").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        self._db.close()
