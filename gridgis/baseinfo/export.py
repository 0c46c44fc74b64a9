"""Exports a department can load: Excel workbooks and GeoPackages of the registers.

Personal fields are masked unless the exporting person keeps the records
(:func:`gridgis.baseinfo.access.present_person`): a township's export shows
``张**`` and ages, a grid worker's their own grid whole. Birth dates never
leave masked; the export carries the age.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from gridgis.baseinfo.access import mask_people
from gridgis.baseinfo.schema import BASEINFO_SCHEMAS
from gridgis.baseinfo.stats import STAT_NAMES
from gridgis.baseinfo.tables import REGISTERS
from gridgis.baseinfo.terms import KIND_NAMES, KINDS
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["export_frames", "write_excel", "write_geopackage"]


def _frame(engine: sa.Engine, kind: str, areas: Sequence[str] | None) -> pd.DataFrame:
    table, _ = REGISTERS[kind]
    where = [table.c.status == "active"]
    if areas is not None:
        where.append(sa.or_(*(table.c.grid_code.startswith(a, autoescape=True)
                              for a in areas)) if areas else sa.false())
    with reading(engine) as conn:
        rows = conn.execute(sa.select(table).where(*where)).all()
    return pd.DataFrame(rows, columns=[c.name for c in table.columns])


def export_frames(engine: sa.Engine, person: StaffMember, *, areas: Sequence[str] | None,
                  today: dt.date) -> dict[str, pd.DataFrame]:
    """The four registers under ``areas`` as ``person`` may see them (columns of the schemas).

    Each frame has the columns of :data:`~gridgis.baseinfo.schema.BASEINFO_SCHEMAS`
    and ``lon``/``lat`` of the record's point (its address's for houses and people).
    """
    frames = {kind: _frame(engine, kind, areas) for kind in KINDS}
    points = frames["addresses"].set_index("address_id")[["lon", "lat"]]  # same grids
    out = {}
    for kind, frame in frames.items():
        if kind in ("houses", "people"):
            frame = frame.join(points, on="address_id")
        if kind == "people":
            frame = mask_people(person, frame, today=today)
            frame["tags"] = frame["tags"].map(lambda t: ";".join(t) if t else None)
        columns = [*BASEINFO_SCHEMAS[kind].column_names, "lon", "lat"]
        out[kind] = frame.reindex(columns=columns)
    return out


def _cell(value: object) -> object:
    """A value openpyxl writes: text for lists, plain numbers, dates as they are."""
    if isinstance(value, list | dict):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()  # numpy scalars
    return value


def write_excel(frames: dict[str, pd.DataFrame], path: str | os.PathLike[str], *,
                statistics: pd.DataFrame | None = None) -> Path:
    """An Excel workbook: the statistics sheet (统计) first, then one sheet a register.

    Headers are the Chinese name and the field (``姓名 name``) so a department's
    clerk and a loader both read them.
    """
    from openpyxl import Workbook

    path = Path(path)
    book = Workbook(write_only=True)  # streamed: a township's 100,000 rows in seconds
    sheets: list[tuple[str, pd.DataFrame]] = []
    if statistics is not None:
        stats = statistics.reset_index()
        stats.columns = [f"{STAT_NAMES.get(c, c)} {c}" if c in STAT_NAMES else c
                         for c in stats.columns]
        sheets.append(("统计", stats))
    sheets += [(KIND_NAMES[kind], frame) for kind, frame in frames.items()]
    for title, frame in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(map(str, frame.columns)))
        plain = frame.astype(object).where(frame.notna(), None)
        for row in plain.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
    book.save(path)
    return path


def write_geopackage(frames: dict[str, pd.DataFrame], path: str | os.PathLike[str]) -> Path:
    """A GeoPackage with one point layer a register (EPSG:4326), opened as is in QGIS."""
    path = Path(path)
    for kind, frame in frames.items():
        data = frame.drop(columns=["lon", "lat"])
        for c in ("updated_at",):
            data[c] = pd.to_datetime(data[c])
        gdf = gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                               crs=4326)
        gdf.to_file(path, layer=kind, driver="GPKG")
    return path
