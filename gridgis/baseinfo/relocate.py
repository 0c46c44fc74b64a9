"""Grids of the registers after a plan change: re-assign every record, and count the moves.

A redraw of the grid layer (:func:`gridgis.planning.adopt_plan`) changes the
grid of the addresses and organisations that lie where a boundary moved;
houses and people follow their address. :func:`reassign_all` locates every
active address and organisation in the new plan with one vectorised
:meth:`gridgis.GridIndex.assign`, writes the grids that changed and a
``reassign`` row in each moved record's history. :func:`count_moves` answers
the planner's question before adoption: how many addresses, houses, people
and organisations each grid gains or loses.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from gridgis.baseinfo.tables import REGISTERS, addresses, history, houses, orgs, people
from gridgis.baseinfo.terms import KINDS
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["Reassigned", "count_moves", "follow_addresses", "reassign_all"]

GRID_FIELDS = ("grid_code", "community_code", "township_code")
CHUNK = 5000


def _history_rows(kind: str, ids: Sequence[str], old: Sequence[Any], new: Sequence[Any],
                  at: dt.datetime, actor: str, role: str, note: str | None
                  ) -> list[dict[str, Any]]:
    return [{"kind": kind, "record_id": i, "action": "reassign", "at": at, "actor": actor,
             "role": role, "changes": {"grid_code": [o, n]}, "note": note}
            for i, o, n in zip(ids, old, new, strict=True)]


def follow_addresses(conn: sa.Connection, address_ids: Sequence[str] | None, *,
                     at: dt.datetime, actor: StaffMember | str, note: str | None = None
                     ) -> dict[str, int]:
    """Give houses and people the grid of their address where it differs; moves per kind.

    ``address_ids`` None follows every address (after a plan change).
    """
    staff_id, role = ((actor.staff_id, actor.role.value) if isinstance(actor, StaffMember)
                      else (str(actor), "system"))
    moved = {}
    only = "" if address_ids is None else \
        "AND r.address_id IN (SELECT value FROM json_each(:ids))"
    params = {"at": at.strftime("%Y-%m-%d %H:%M:%S.%f"), "actor": staff_id, "role": role,
              "note": note, "ids": json.dumps(list(address_ids or ()))}
    for kind, table in (("houses", houses), ("people", people)):
        key = REGISTERS[kind][1]
        differ = (f"FROM {table.name} AS r JOIN {addresses.name} AS a "
                  f"ON a.address_id = r.address_id WHERE r.status = 'active' "
                  f"AND r.grid_code IS NOT a.grid_code {only}")
        # in SQL, no row through Python: a plan change moves a hundred thousand people
        conn.execute(sa.text(
            f"INSERT INTO {history.name} (kind, record_id, action, at, actor, role, changes, "
            f"note) SELECT '{kind}', r.{key}, 'reassign', :at, :actor, :role, "
            f"json_object('grid_code', json_array(r.grid_code, a.grid_code)), :note "
            f"{differ}"), params)
        moved[kind] = conn.execute(sa.text(
            f"UPDATE {table.name} SET grid_code = a.grid_code, "
            f"community_code = a.community_code, township_code = a.township_code "
            f"FROM {addresses.name} AS a WHERE a.address_id = {table.name}.address_id "
            f"AND {table.name}.status = 'active' "
            f"AND {table.name}.grid_code IS NOT a.grid_code "
            + ("" if address_ids is None else
               f"AND {table.name}.address_id IN (SELECT value FROM json_each(:ids))")),
            params).rowcount
    return moved


@dataclass(frozen=True)
class Reassigned:
    """What :func:`reassign_all` changed: records moved per kind, the seconds it took."""

    moved: dict[str, int]
    located: dict[str, int]
    outside: dict[str, int]
    seconds: float


def _located(conn: sa.Connection, table: sa.Table, key: str) -> pd.DataFrame:
    rows = conn.execute(sa.select(table.c[key], table.c.lon, table.c.lat, table.c.grid_code)
                        .where(table.c.status == "active")).all()
    return pd.DataFrame(rows, columns=["id", "lon", "lat", "grid_code"])


def reassign_all(engine: sa.Engine, index: Any, *, at: dt.datetime,
                 actor: StaffMember | str = "plan", note: str | None = None) -> Reassigned:
    """Locate every active record in the plan of ``index`` and write the grids that changed.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine.
    index : GridIndex
        The index of the plan now in force.
    at : datetime
        When (naive China time), for the history.
    actor : StaffMember or str, default "plan"
        Who, for the history.
    note : str, optional
        Why (e.g. the plan's effective date).

    Returns
    -------
    Reassigned
        Moved records per kind; records located and in no grid per kind.
    """
    import time

    began = time.perf_counter()
    staff_id, role = ((actor.staff_id, actor.role.value) if isinstance(actor, StaffMember)
                      else (str(actor), "system"))
    moved: dict[str, int] = {}
    located: dict[str, int] = {}
    outside: dict[str, int] = {}
    with engine.begin() as conn:
        for kind, table in (("addresses", addresses), ("orgs", orgs)):
            key = REGISTERS[kind][1]
            frame = _located(conn, table, key)
            got = index.assign(lon=frame["lon"].to_numpy(), lat=frame["lat"].to_numpy(),
                               with_distance=False)
            new = {f: got[f].astype(object).where(got[f].notna(), None).to_numpy()
                   for f in GRID_FIELDS}
            old = frame["grid_code"].to_numpy(dtype=object)
            change = np.array([a != b for a, b in zip(old, new["grid_code"], strict=True)],
                              dtype=bool)
            ids = frame["id"].to_numpy()[change]
            located[kind] = len(frame)
            outside[kind] = int(sum(v is None for v in new["grid_code"]))
            moved[kind] = int(change.sum())
            update = sa.update(table).where(table.c[key] == sa.bindparam("b_id")).values(
                **{f: sa.bindparam(f"b_{f}") for f in GRID_FIELDS})
            rows = [{"b_id": i, **{f"b_{f}": new[f][j] for f in GRID_FIELDS}}
                    for i, j in zip(ids, np.flatnonzero(change), strict=True)]
            for start in range(0, len(rows), CHUNK):
                conn.execute(update, rows[start:start + CHUNK])
            hist = _history_rows(kind, list(ids), list(old[change]),
                                 list(new["grid_code"][change]), at, staff_id, role, note)
            for start in range(0, len(hist), CHUNK):
                conn.execute(sa.insert(history), hist[start:start + CHUNK])
        moved.update(follow_addresses(conn, None, at=at, actor=actor, note=note))
    return Reassigned(moved={k: moved.get(k, 0) for k in KINDS}, located=located,
                      outside=outside, seconds=time.perf_counter() - began)


def count_moves(engine: sa.Engine, old_index: Any, new_index: Any) -> tuple[pd.DataFrame,
                                                                               dict[str, int]]:
    """Addresses, houses, people and organisations each grid holds before and after a redraw.

    Every active address and organisation is located in both plans (by
    position, not by its stored grid); houses and people count where their
    address lies.

    Returns
    -------
    (pandas.DataFrame, dict)
        Per grid code of either plan: ``<kind>_old``, ``<kind>_new``,
        ``<kind>_change`` for each kind; and the records of each kind that
        change grid (``<kind>_moved``).
    """
    with reading(engine) as conn:
        addr = _located(conn, addresses, "address_id")
        org = _located(conn, orgs, "org_id")
        per_address = {}
        for kind, table in (("houses", houses), ("people", people)):
            per_address[kind] = dict(conn.execute(
                sa.select(table.c.address_id, sa.func.count()).where(
                    table.c.status == "active").group_by(table.c.address_id)).all())
    tables, summary = [], {}
    for kind, frame in (("addresses", addr), ("orgs", org)):
        spots = {}
        for when, index in (("old", old_index), ("new", new_index)):
            got = index.assign(lon=frame["lon"].to_numpy(), lat=frame["lat"].to_numpy(),
                               with_distance=False)
            spots[when] = got["grid_code"].astype(object).to_numpy()
        weights = {kind: np.ones(len(frame))}
        if kind == "addresses":
            for k in ("houses", "people"):
                weights[k] = frame["id"].map(per_address[k]).fillna(0).to_numpy()
        change = np.array([a != b for a, b in zip(spots["old"], spots["new"], strict=True)])
        for k, w in weights.items():
            summary[f"{k}_moved"] = int(w[change].sum())
            for when in ("old", "new"):
                s = pd.Series(w).groupby(pd.Series(spots[when]).fillna("(outside)")).sum()
                tables.append(s.rename(f"{k}_{when}"))
    out = pd.concat(tables, axis=1).fillna(0).astype(int)
    for k in KINDS:
        out[f"{k}_change"] = out[f"{k}_new"] - out[f"{k}_old"]
    out.index.name = "grid_code"
    return out.sort_index(), summary
