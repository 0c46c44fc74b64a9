"""Shared views (信息共享): the registers counted per grid, community or township.

:func:`baseinfo_statistics` gives one row per area of the chosen level under
the reader's areas: addresses; houses by use (rented 出租, vacant 空置, shops);
people registered and migrant and by tag (独居老人, 残疾人, the key persons);
organisations by kind — what a township looks at, and what a department loads.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from gridgis.baseinfo.tables import addresses, houses, orgs, people
from gridgis.baseinfo.terms import HOUSE_USES, ORG_KINDS, PERSON_TAGS, RESIDENCE
from gridgis.store.dialects import json_strings
from gridgis.store.reading import reading

__all__ = ["LEVELS", "STAT_NAMES", "baseinfo_statistics"]

LEVELS = {"grid": "grid_code", "community": "community_code", "township": "township_code"}
"""Levels the statistics are counted at, and the column each reads."""
STAT_NAMES: dict[str, str] = {
    "addresses": "标准地址", "houses": "实有房屋",
    **{f"houses_{k}": f"{v}房屋" for k, v in HOUSE_USES.items()},
    "people": "实有人口", **{f"people_{k}": v for k, v in RESIDENCE.items()},
    **{f"tag_{k}": v for k, v in PERSON_TAGS.items()}, "orgs": "实有单位",
    **{f"orgs_{k}": v for k, v in ORG_KINDS.items()}}
"""The Chinese name of each column of the statistics."""


def _scope(table: sa.Table, areas: Sequence[str] | None) -> list[sa.ColumnElement[bool]]:
    where = [table.c.status == "active"]
    if areas is not None:
        where.append(sa.or_(*(table.c.grid_code.startswith(a, autoescape=True) for a in areas))
                     if areas else sa.false())
    return where


def _grouped(conn: sa.Connection, table: sa.Table, level: str, areas: Sequence[str] | None,
             by: sa.ColumnElement | None, prefix: str) -> pd.DataFrame:
    area = table.c[LEVELS[level]]
    cols = [area.label("area")] + ([by.label("what")] if by is not None else [])
    query = sa.select(*cols, sa.func.count().label("n")).where(*_scope(table, areas)) \
        .group_by(*cols)
    frame = pd.DataFrame(conn.execute(query).all(), columns=[c.name for c in cols] + ["n"])
    if by is None:
        return frame.set_index("area")["n"].rename(prefix).to_frame()
    wide = frame.pivot_table(index="area", columns="what", values="n", aggfunc="sum",
                             fill_value=0)
    wide.columns = [f"{prefix}_{c}" for c in wide.columns]
    return wide


def _tags(conn: sa.Connection, level: str, areas: Sequence[str] | None) -> pd.DataFrame:
    tag = json_strings(people.c.tags).table_valued("value").alias("tag")
    area = people.c[LEVELS[level]].label("area")
    query = (sa.select(area, tag.c.value.label("what"), sa.func.count().label("n"))
             .select_from(people).join(tag, sa.true()).where(*_scope(people, areas))
             .group_by(area, tag.c.value))
    frame = pd.DataFrame(conn.execute(query).all(), columns=["area", "what", "n"])
    wide = frame.pivot_table(index="area", columns="what", values="n", aggfunc="sum",
                             fill_value=0)
    wide.columns = [f"tag_{c}" for c in wide.columns]
    return wide


def baseinfo_statistics(engine: sa.Engine, *, level: str = "grid",
                        areas: Sequence[str] | None = None) -> pd.DataFrame:
    """Counts of the active registers per area.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    level : {"grid", "community", "township"}
    areas : sequence of str, optional
        Grid-code prefixes (a reader's jurisdiction); None: everything.

    Returns
    -------
    pandas.DataFrame
        Indexed by the area code (named after the level), one column per
        count of :data:`STAT_NAMES` (zero where none), sorted by code.
    """
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}")
    with reading(engine) as conn:
        parts = [
            _grouped(conn, addresses, level, areas, None, "addresses"),
            _grouped(conn, houses, level, areas, None, "houses"),
            _grouped(conn, houses, level, areas, houses.c.use, "houses"),
            _grouped(conn, people, level, areas, None, "people"),
            _grouped(conn, people, level, areas, people.c.residence, "people"),
            _tags(conn, level, areas),
            _grouped(conn, orgs, level, areas, None, "orgs"),
            _grouped(conn, orgs, level, areas, orgs.c.kind, "orgs"),
        ]
    out = pd.concat(parts, axis=1).reindex(columns=list(STAT_NAMES)).fillna(0).astype(int)
    out = out[out.index.notna()].sort_index()
    out.index.name = LEVELS[level]
    return out
