"""The patrol log (巡查记录): each patrol with its track, and the zone visits it made.

Two tables of their own in the incidents' database, made on open where
missing (``checkfirst``, no migration step): ``patrols`` (one row a patrol
or check-in: who, which grid, when, the track in the compact ``GTK1``
encoding of :mod:`gridgis.patrols.codec`, its length in metres, the GPS
jumps flagged) and ``patrol_visits`` (one row per zone visit: zone, level,
entry and exit, metres inside). Times are naive China time, as in the rest
of the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from gridgis.errors import PatrolNotFoundError
from gridgis.patrols.codec import decode_track
from gridgis.store.reading import reading

__all__ = ["PatrolLog", "create_patrol_tables", "patrol_metadata", "patrol_visits", "patrols"]

patrol_metadata = sa.MetaData()
patrols = sa.Table(
    "patrols", patrol_metadata,
    sa.Column("patrol_id", sa.String(32), primary_key=True),
    sa.Column("person", sa.String(64), nullable=False, index=True),
    sa.Column("grid_code", sa.String(32), index=True),
    sa.Column("started_at", sa.DateTime, nullable=False, index=True),
    sa.Column("ended_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # track / checkin
    sa.Column("source", sa.String(16), nullable=False),  # app / gpx / archive
    sa.Column("input_crs", sa.String(16), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("length_m", sa.Float, nullable=False),
    sa.Column("max_speed_kmh", sa.Float, nullable=False),
    sa.Column("jumps", sa.Integer, nullable=False),
    sa.Column("zones_visited", sa.Integer, nullable=False),
    sa.Column("track", sa.LargeBinary, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("note", sa.Text),
)
"""One row per patrol or check-in."""
patrol_visits = sa.Table(
    "patrol_visits", patrol_metadata,
    sa.Column("visit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("patrol_id", sa.String(32), nullable=False, index=True),
    sa.Column("person", sa.String(64), nullable=False),
    sa.Column("zone_id", sa.String(64), nullable=False, index=True),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("grid_code", sa.String(32), nullable=False, index=True),
    sa.Column("entered_at", sa.DateTime, nullable=False, index=True),
    sa.Column("left_at", sa.DateTime, nullable=False),
    sa.Column("metres_inside", sa.Float, nullable=False),
    sa.Column("checkin", sa.Boolean, nullable=False),
)
"""One row per zone a patrol visited."""

PATROL_FIELDS = [c.name for c in patrols.columns if c.name != "track"]
VISIT_FIELDS = [c.name for c in patrol_visits.columns if c.name != "visit_id"]


def create_patrol_tables(conn: sa.Connection) -> None:
    """Create the patrol tables where missing (idempotent: the store calls it on every open)."""
    patrol_metadata.create_all(conn, checkfirst=True)


def _areas(column: sa.Column, area_codes: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(column.startswith(code, autoescape=True) for code in area_codes))


class PatrolLog:
    """Read and write the patrols of one store.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (the tables exist: the store made them on open).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(self, patrol: dict[str, Any], visits: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Store one patrol and its visits in one transaction; the stored row (no track)."""
        with self.engine.begin() as conn:
            conn.execute(sa.insert(patrols).values(**patrol))
            if visits:
                conn.execute(sa.insert(patrol_visits), list(visits))
        return {k: patrol.get(k) for k in PATROL_FIELDS}

    def add_many(self, rows: pd.DataFrame, visits: pd.DataFrame, *, chunk: int = 5000,
                 progress: Callable[[int, int], None] | None = None) -> int:
        """Store many patrols (an archive) and their visits; the patrols already there are skipped.

        Parameters
        ----------
        rows : pandas.DataFrame
            The columns of ``patrols``.
        visits : pandas.DataFrame
            The columns of ``patrol_visits`` (without ``visit_id``).
        chunk : int, default 5000
            Patrols a transaction.
        progress : callable, optional
            Called with (patrols done, patrols to load).

        Returns
        -------
        int
            Patrols written.
        """
        with reading(self.engine) as conn:
            known = set(conn.execute(sa.select(patrols.c.patrol_id)).scalars())
        rows = rows[~rows["patrol_id"].isin(known)]
        visits = visits[visits["patrol_id"].isin(set(rows["patrol_id"]))]
        by_patrol = visits.groupby("patrol_id", sort=False).indices
        total = len(rows)
        for start in range(0, total, chunk):
            part = rows.iloc[start:start + chunk]
            idx = [i for p in part["patrol_id"] for i in by_patrol.get(p, ())]
            with self.engine.begin() as conn:
                conn.execute(sa.insert(patrols), _records(part))
                if idx:
                    conn.execute(sa.insert(patrol_visits), _records(visits.iloc[idx]))
            if progress is not None:
                progress(min(start + chunk, total), total)
        return total

    def _where(self, query: sa.Select, *, person: str | None, area_codes: Sequence[str] | None,
               grid: str | None, start: dt.datetime | None, end: dt.datetime | None,
               table: sa.Table, time: str) -> sa.Select:
        if person is not None:
            query = query.where(table.c.person == person)
        if area_codes is not None:
            query = query.where(_areas(table.c.grid_code, area_codes)) if area_codes \
                else query.where(sa.false())
        if grid is not None:
            query = query.where(table.c.grid_code == grid)
        if start is not None:
            query = query.where(table.c[time] >= start)
        if end is not None:
            query = query.where(table.c[time] < end)
        return query

    def list(self, *, person: str | None = None, area_codes: Sequence[str] | None = None,
             grid: str | None = None, start: dt.datetime | None = None,
             end: dt.datetime | None = None, limit: int = 100, offset: int = 0
             ) -> tuple[list[dict[str, Any]], int]:
        """Patrols (without tracks), newest first, and how many match.

        ``area_codes`` None reads all; an empty tuple reads none; otherwise the
        patrols whose grid lies under one of the codes.
        """
        args = {"person": person, "area_codes": area_codes, "grid": grid, "start": start,
                "end": end, "table": patrols, "time": "started_at"}
        fields = [patrols.c[k] for k in PATROL_FIELDS]
        with reading(self.engine) as conn:
            matched = conn.execute(self._where(sa.select(sa.func.count()).select_from(patrols),
                                               **args)).scalar_one()
            rows = conn.execute(self._where(sa.select(*fields), **args).order_by(
                patrols.c.started_at.desc(), patrols.c.patrol_id).limit(limit).offset(offset)
            ).mappings().all()
        return [dict(r) for r in rows], int(matched)

    def get(self, patrol_id: str) -> dict[str, Any]:
        """One patrol with its track (``lon``, ``lat``, ``at``) and visits.

        Raises
        ------
        PatrolNotFoundError
        """
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(patrols).where(patrols.c.patrol_id == patrol_id)
                               ).mappings().first()
            if row is None:
                raise PatrolNotFoundError(f"没有巡查记录 {patrol_id} / no patrol {patrol_id}")
            visits = conn.execute(sa.select(patrol_visits).where(
                patrol_visits.c.patrol_id == patrol_id).order_by(patrol_visits.c.entered_at)
            ).mappings().all()
        out = {k: row[k] for k in PATROL_FIELDS}
        lon, lat, seconds = decode_track(row["track"])
        out["lon"], out["lat"] = lon.tolist(), lat.tolist()
        out["at"] = [row["started_at"] + dt.timedelta(seconds=int(s)) for s in seconds]
        out["visits"] = [dict(v) for v in visits]
        return out

    def visits(self, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
               area_codes: Sequence[str] | None = None, person: str | None = None
               ) -> pd.DataFrame:
        """Zone visits entered in [start, end) as a frame (the columns of ``patrol_visits``)."""
        query = self._where(sa.select(patrol_visits), person=person, area_codes=area_codes,
                            grid=None, start=start, end=end, table=patrol_visits,
                            time="entered_at")
        with reading(self.engine) as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame([dict(r) for r in rows],
                            columns=[c.name for c in patrol_visits.columns])

    def frame(self, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
              area_codes: Sequence[str] | None = None, person: str | None = None
              ) -> pd.DataFrame:
        """Patrols started in [start, end) as a frame, without tracks."""
        query = self._where(sa.select(*[patrols.c[k] for k in PATROL_FIELDS]), person=person,
                            area_codes=area_codes, grid=None, start=start, end=end,
                            table=patrols, time="started_at")
        with reading(self.engine) as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=PATROL_FIELDS)

    def count(self) -> int:
        """How many patrols the store holds."""
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(patrols)).scalar_one())


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.to_dict("records")
    for r in out:
        for k, v in r.items():
            if isinstance(v, pd.Timestamp):
                r[k] = v.to_pydatetime()
            elif hasattr(v, "item") and not isinstance(v, bytes | str):
                r[k] = v.item()
    return out
