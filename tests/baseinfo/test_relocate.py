"""A plan change re-assigns every record; the diff counts them before adoption."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import shapely

from gridgis.baseinfo import BaseInfoStore, count_moves, load_sample, reassign_all
from gridgis.index.grid import GridIndex
from gridgis.store import SQLiteStore


def _merged_plan(layers):
    """The grid layer with its first grid merged into a neighbour of the same community."""
    grids = layers.grids
    a = grids.iloc[0]
    same = grids[(grids["community_code"] == a["community_code"]) & (grids["code"] != a["code"])]
    b = same[same.geometry.touches(a.geometry) | same.geometry.intersects(a.geometry)].iloc[0]
    new = grids[grids["code"] != a["code"]].copy()
    new.loc[b["code"], "geometry"] = shapely.union(a.geometry, b.geometry)
    return a["code"], b["code"], GridIndex(new, communities=layers.communities)


def test_reassign_after_a_redraw(tmp_path, small_layers, small_index, small_baseinfo):
    store = SQLiteStore(tmp_path / "s.sqlite")
    load_sample(store.engine, small_baseinfo)
    gone, kept, new_index = _merged_plan(small_layers)
    s = small_baseinfo
    expected = {"addresses": int((s.addresses["grid_code"] == gone).sum()),
                "houses": int((s.houses["grid_code"] == gone).sum()),
                "people": int((s.people["grid_code"] == gone).sum()),
                "orgs": int((s.orgs["grid_code"] == gone).sum())}
    assert expected["people"] > 0

    table, summary = count_moves(store.engine, small_index, new_index)
    assert {k: summary[f"{k}_moved"] for k in expected} == expected
    assert table.loc[gone, "people_new"] == 0 and table.loc[gone, "people_change"] == \
        -expected["people"]
    assert table.loc[kept, "houses_change"] == expected["houses"]
    assert table["addresses_old"].sum() == len(s.addresses)

    done = reassign_all(store.engine, new_index, at=dt.datetime(2027, 1, 1), note="2027 plan")
    assert done.moved == expected and done.outside["addresses"] == 0
    register = BaseInfoStore(store.engine)
    assert register.list("people", where={"grid_code": gone})[1] == 0
    person = s.people[s.people["grid_code"] == gone].iloc[0]
    assert register.get("people", person["person_id"])["grid_code"] == kept
    [h] = register.history("people", person["person_id"])
    assert h["action"] == "reassign" and h["changes"] == {"grid_code": [gone, kept]}
    # a second pass finds nothing left to move
    again = reassign_all(store.engine, new_index, at=dt.datetime(2027, 1, 1))
    assert again.moved == dict.fromkeys(expected, 0)
    counts = pd.Series(register.counts())
    assert counts.to_dict() == s.counts()
    store.close()
