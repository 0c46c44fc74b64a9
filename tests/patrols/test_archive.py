"""Loading a season of patrols into a store: the demo's seeding, once."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from gridgis.cli.serve import _demo_patrols
from gridgis.patrols.archive import load_patrols
from gridgis.sample import sample_patrols
from gridgis.store import SQLiteStore


def test_the_demo_loads_the_season_once(small_layers, tmp_path):
    store = SQLiteStore(tmp_path / "demo.sqlite")
    out = io.StringIO()
    err = Console(file=out, width=120)
    n = _demo_patrols(SimpleNamespace(store=store, layers=small_layers), err)
    assert n == store.patrols.count() > 0
    assert "loaded" in out.getvalue()
    assert _demo_patrols(SimpleNamespace(store=store, layers=small_layers), err) == 0
    visits = store.patrols.visits()
    assert set(visits["level"]) <= {"high", "medium", "low"} and len(visits) > n / 2
    some = store.patrols.list(limit=1)[0][0]
    full = store.patrols.get(some["patrol_id"])
    assert len(full["lon"]) == full["points"] and full["at"][0] == full["started_at"]
    store.close()


def test_loading_twice_writes_nothing_new(small_layers, tmp_path):
    season = sample_patrols(small_layers, weeks=1)
    store = SQLiteStore(tmp_path / "twice.sqlite")
    first = load_patrols(store.patrols, small_layers.patrol_zones, season)
    assert first == len(season.meta)
    before = len(store.patrols.visits())
    assert load_patrols(store.patrols, small_layers.patrol_zones, season) == 0
    assert len(store.patrols.visits()) == before
    store.close()
