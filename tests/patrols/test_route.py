"""Route suggestion: the order of the zones due and the path along the roads."""

from __future__ import annotations

import datetime as dt
import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridgis.patrols.route import order_stops, suggest_patrol_route, zones_due
from gridgis.roads.network import RoadNetwork

D = 0.002  # about 200 m


@pytest.fixture
def network():
    """A 6 × 6 street lattice, 200 m apart, 30 km/h."""
    lines = [shapely.LineString([(120.6, 28.0 + i * D), (120.6 + 5 * D, 28.0 + i * D)])
             for i in range(6)]
    lines += [shapely.LineString([(120.6 + i * D, 28.0), (120.6 + i * D, 28.0 + 5 * D)])
              for i in range(6)]
    return RoadNetwork(gpd.GeoDataFrame({"speed_kmh": [30.0] * len(lines)}, geometry=lines,
                                        crs=4326))


def brute_force(cost, closed):
    n = len(cost)
    best = min(itertools.permutations(range(1, n)),
               key=lambda p: sum(cost[a, b] for a, b in itertools.pairwise(
                   (0, *p, 0) if closed else (0, *p))))
    return sum(cost[a, b] for a, b in itertools.pairwise((0, *best, 0) if closed else (0, *best)))


def test_order_is_optimal_where_it_is_obvious():
    xy = np.array([[0, 0], [3, 0], [1, 0], [2, 0]], float)
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert order_stops(cost, closed=False) == [0, 2, 3, 1]
    square = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], float)
    cost = np.hypot(*(square[:, None, :] - square[None, :, :]).transpose(2, 0, 1))
    assert order_stops(cost, closed=True) in ([0, 2, 1, 3], [0, 3, 1, 2])  # no crossing


@pytest.mark.parametrize("seed", range(5))
def test_order_is_two_opt_optimal_and_near_the_best(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (7, 2))
    cost = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    for closed in (True, False):
        order = order_stops(cost, closed=closed)
        assert order[0] == 0 and sorted(order) == list(range(7))
        path = [*order, 0] if closed else order
        length = sum(cost[a, b] for a, b in itertools.pairwise(path))
        assert length <= brute_force(cost, closed) * 1.25
        for i in range(1, 6):  # no reversal of a stretch shortens it (a 2-opt optimum)
            for k in range(i + 1, 7):
                trial = order[:i] + order[i:k + 1][::-1] + order[k + 1:]
                trial = [*trial, 0] if closed else trial
                assert sum(cost[a, b] for a, b in itertools.pairwise(trial)) >= length - 1e-9


def test_the_round_visits_every_zone_due_along_the_roads(network):
    cells = [(1, 1), (4, 4), (1, 4), (4, 1)]
    zones = gpd.GeoDataFrame(
        {"zone_id": [f"Z{i}" for i in range(4)]},
        geometry=[shapely.box(120.6 + a * D + 0.0002, 28.0 + b * D + 0.0002,
                              120.6 + (a + 1) * D - 0.0002, 28.0 + (b + 1) * D - 0.0002)
                  for a, b in cells], crs=4326)
    start = (120.6, 28.0)
    s = suggest_patrol_route(network, start, zones)
    assert sorted(s.zone_ids) == ["Z0", "Z1", "Z2", "Z3"]
    entry = zones.geometry.representative_point()
    lon, lat = np.r_[start[0], entry.x], np.r_[start[1], entry.y]
    cost = network.travel_minutes(lon, lat, lon, lat)
    assert s.total_min == pytest.approx(brute_force(cost, True), rel=1e-6)  # the best round
    assert abs(s.zone_ids.index("Z0") - s.zone_ids.index("Z1")) == 2  # diagonals never in a row
    assert len(s.legs_min) == 5 and s.total_min == pytest.approx(sum(s.legs_min))
    coords = np.asarray(s.line.coords)
    assert np.allclose(coords[0], start) and np.allclose(coords[-1], start)
    for z in zones.geometry:
        assert s.line.distance(z.representative_point()) < 1e-9
    assert suggest_patrol_route(network, start, zones.iloc[:0]).line is None


def test_zones_due_today():
    now = dt.datetime(2026, 11, 2, 9)
    table = pd.DataFrame({"zone_id": ["H", "M1", "M2", "L1", "L2"],
                          "level": ["high", "medium", "medium", "low", "low"],
                          "required_per_week": [7.0, 2.0, 2.0, 1.0, 1.0],
                          "last_visit_at": pd.to_datetime([
                              "2026-11-02 08:00", "2026-11-01 09:00", "2026-10-30 09:00",
                              "2026-10-30 09:00", None])})
    # medium: every 84 h, due from 60 h; low: every 168 h, due from 144 h; never: due
    assert zones_due(table, now=now)["zone_id"].tolist() == ["H", "M2", "L2"]


def test_the_route_of_the_day_over_the_api(client, small_layers):
    grid = small_layers.grids["code"].iloc[0]
    r = client.get("/patrols/route", headers=client.desk.headers(f"wg{grid}"))
    assert r.status_code == 200, r.text
    body = r.json()
    mine = set(small_layers.patrol_zones.query("grid_code == @grid")["zone_id"])
    assert set(body["zones_due"]) == mine and sorted(body["order"]) == sorted(mine)
    assert body["geometry"]["type"] == "LineString" and body["total_min"] > 0
    other = small_layers.grids["code"].iloc[1]
    r = client.get(f"/patrols/route?person=wg{other}", headers=client.desk.headers(f"wg{grid}"))
    assert r.status_code == 403
    community = client.get(f"/patrols/route?person=wg{grid}",
                           headers=client.desk.headers(f"sq{grid[:12]}"))
    assert community.status_code == 200 and community.json()["person"] == f"wg{grid}"
    assert client.get("/patrols/route?lon=120.6",
                      headers=client.desk.headers(f"wg{grid}")).status_code == 422


def test_no_road_layer_is_a_404_in_chinese(small_layers, store, clock):
    import dataclasses

    from fastapi.testclient import TestClient

    from api import create_app
    from api.settings import Settings
    from tests.service.conftest import Desk, district_roster

    layers = dataclasses.replace(small_layers, roads=None)
    store.staff.save_many(district_roster(layers))
    app = create_app(Settings(), layers=layers, store=store, clock=clock)
    desk = Desk(app, district_roster(layers))
    grid = layers.grids["code"].iloc[0]
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/patrols/route", headers=desk.headers(f"wg{grid}"))
    assert r.status_code == 404 and "道路" in r.json()["detail"]


def test_the_service_plans_a_workers_day_on_a_road_layer(small_layers, tmp_path):
    from gridgis.patrols.service import PatrolService
    from gridgis.people import StaffMember
    from gridgis.store import SQLiteStore

    roads = gpd.GeoDataFrame(geometry=small_layers.grids.boundary.values, crs=4326)
    store = SQLiteStore(tmp_path / "route.sqlite")
    zones = small_layers.patrol_zones
    grid = zones.groupby("grid_code").size().idxmax()  # a grid with the most zones
    service = PatrolService(zones, store.patrols, network=RoadNetwork(roads),
                            grids=small_layers.grids, clock=lambda: dt.datetime(2026, 11, 2, 9))
    worker = StaffMember(f"wg{grid}", "网格员", "grid_worker", grid[:12], grade="grid_head",
                         grids=(grid,))
    suggestion, due = service.route(worker)
    mine = set(zones.loc[zones["grid_code"] == grid, "zone_id"])
    assert set(due) == mine  # nothing walked yet: every zone is due
    assert sorted(suggestion.zone_ids) == sorted(mine)
    assert suggestion.total_min > 0 and suggestion.line is not None
    store.close()
