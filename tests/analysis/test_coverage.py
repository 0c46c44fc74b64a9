"""Emergency coverage, uncovered areas and MCLP site proposals on hand-built road networks.

Travel minutes are checked against networkx's Dijkstra on a graph built from the
same street lines (buildings and units stand on junctions, so that no snapping
is involved), and the shares against sums done here with pandas.
"""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from gridgis.analysis import emergency_coverage, propose_sites, uncovered_areas
from gridgis.analysis.coverage import emergency_kinds, unit_isochrones
from gridgis.analysis.siting import candidate_nodes
from gridgis.errors import InputError, LayerError
from gridgis.roads import RoadNetwork

PLANE = 4549
X0, Y0 = 560_000.0, 3_097_000.0
TO_GEO = Transformer.from_crs(PLANE, 4326, always_xy=True)
STEP = 200.0  # block side, metres
N = 10  # junctions per side
SPEED = 30.0  # km/h: 200 m take 0.4 min
TOWN = "330399001"


def lonlat(xy) -> np.ndarray:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = TO_GEO.transform(X0 + xy[:, 0], Y0 + xy[:, 1])
    return np.column_stack([lon, lat])


def points(xy) -> np.ndarray:
    ll = lonlat(xy)
    return shapely.points(ll[:, 0], ll[:, 1])


def polygon(x0, y0, x1, y1) -> shapely.Polygon:
    return shapely.Polygon(lonlat([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]))


def grid_code(i: int) -> str:
    return f"{TOWN}001{i:03d}"


@pytest.fixture(scope="module")
def city():
    """A 10 × 10 street lattice with random speeds, a detached hamlet road, four grids."""
    rng = np.random.default_rng(5)
    lines, speeds = [], []
    for i in range(N):
        for j in range(N - 1):
            for a, b in (((i, j), (i, j + 1)), ((j, i), (j + 1, i))):
                lines.append([(a[0] * STEP, a[1] * STEP), (b[0] * STEP, b[1] * STEP)])
                speeds.append(float(rng.choice([15.0, 30.0, 50.0])))
    # a hamlet on a road of its own, reached by no unit
    lines.append([(2600.0, 0.0), (3000.0, 0.0)])
    speeds.append(SPEED)
    roads = gpd.GeoDataFrame({"speed_kmh": speeds, "oneway": False},
                             geometry=[shapely.LineString(lonlat(p)) for p in lines], crs=4326)
    # buildings on most junctions and on the hamlet's road
    junctions = [(i * STEP, j * STEP) for i in range(N) for j in range(N)]
    keep = rng.random(len(junctions)) < 0.8
    bxy = [p for p, k in zip(junctions, keep, strict=True) if k] + [(2600.0, 0.0),
                                                                     (3000.0, 0.0)]
    pop = rng.integers(0, 60, len(bxy))
    pop[3] = 0  # a building without residents
    half = (N - 1) * STEP / 2

    def grid_of(x, y):
        if x > 2000:
            return 5
        return 1 + (x > half) + 2 * (y > half)

    codes = [grid_code(grid_of(x, y)) for x, y in bxy]
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i:03d}" for i in range(len(bxy))], "households": pop // 2 + 1,
         "population": pop, "grid_code": codes}, geometry=points(bxy), crs=4326)
    top = (N - 1) * STEP + 100
    grids = gpd.GeoDataFrame(
        {"code": [grid_code(i) for i in (1, 2, 3, 4, 5, 6)]},
        geometry=[polygon(-100, -100, half, half), polygon(half, -100, top, half),
                  polygon(-100, half, half, top), polygon(half, half, top, top),
                  polygon(2500, -100, 3100, 100),  # the hamlet
                  polygon(-100, -600, 3100, -100)],  # grid 6: fields, no buildings
        crs=4326)
    uxy = [(0.0, 0.0), (1800.0, 1800.0), (1000.0, 400.0), (600.0, 1800.0)]
    units = gpd.GeoDataFrame(
        {"unit_id": ["F1", "F2", "P1", "M1"], "name": ["消防一", "消防二", "派出所", "调委会"],
         "kind": ["fire_station", "fire_station", "police_station", "mediation_committee"],
         "township_code": TOWN}, geometry=points(uxy), crs=4326)
    layers = SimpleNamespace(buildings=buildings, grids=grids, units=units, roads=roads)
    return SimpleNamespace(layers=layers, lines=lines, speeds=speeds, bxy=bxy, uxy=uxy,
                           network=RoadNetwork(roads))


def oracle_minutes(city, sources) -> np.ndarray:
    """networkx multi-source Dijkstra from `sources` (plane xy) to every building."""
    g = nx.Graph()
    for (a, b), v in zip(city.lines, city.speeds, strict=True):
        w = np.hypot(b[0] - a[0], b[1] - a[1]) / (v * 1000 / 60)
        u, t = tuple(map(round, a)), tuple(map(round, b))
        if not g.has_edge(u, t) or g[u][t]["weight"] > w:
            g.add_edge(u, t, weight=w)
    dist = nx.multi_source_dijkstra_path_length(g, [tuple(map(round, s)) for s in sources])
    return np.array([dist.get(tuple(map(round, p)), np.inf) for p in city.bxy])


@pytest.mark.parametrize("limit", [1.0, 2.5, 4.0])
def test_shares_equal_an_independent_computation(city, limit):
    cov = emergency_coverage(city.layers, city.network,
                             kinds=["fire_station", "police_station"], limit_min=limit)
    b = city.layers.buildings
    for kind, sources in (("fire_station", city.uxy[:2]), ("police_station", city.uxy[2:3])):
        want = oracle_minutes(city, sources)
        got = cov.minutes[kind].to_numpy()
        assert np.isinf(got) .tolist() == np.isinf(want).tolist()
        fin = np.isfinite(want)
        assert got[fin] == pytest.approx(want[fin], abs=2e-3)
        ok = want <= limit
        row = cov.summary.loc[kind]
        assert row["population_share"] == pytest.approx(b["population"][ok].sum()
                                                        / b["population"].sum())
        assert row["households_share"] == pytest.approx(b["households"][ok].sum()
                                                        / b["households"].sum())
        assert row["buildings_share"] == pytest.approx(ok.mean())
        assert row["buildings_uncovered"] == (~ok).sum()
        # grids: covered when at least half of their residents are
        frame = pd.DataFrame({"g": b["grid_code"], "p": b["population"], "ok": ok})
        per = frame.assign(c=frame["p"] * frame["ok"]).groupby("g")[["p", "c"]].sum()
        covered = set(per.index[per["c"] >= 0.5 * per["p"]])
        # grid 6 has no buildings: its representative point decides
        g6 = cov.grids.loc[grid_code(6), f"{kind}_point_min"] <= limit
        assert row["grids_share"] == pytest.approx((len(covered) + g6) / 6)
    assert cov.summary.loc["fire_station", "units"] == 2


def test_the_hamlet_is_out_of_reach_and_the_nearest_unit_is_named(city):
    cov = emergency_coverage(city.layers, city.network, kinds=["fire_station"], limit_min=60)
    hamlet = cov.minutes["grid_code"] == grid_code(5)
    assert np.isinf(cov.minutes.loc[hamlet, "fire_station"]).all()
    assert cov.nearest_unit.loc[hamlet, "fire_station"].isna().all()
    assert set(cov.nearest_unit.loc[~hamlet, "fire_station"]) == {"F1", "F2"}
    assert cov.summary.loc["fire_station", "p90_min"] < 60  # 2 of 84 buildings are out
    assert not cov.grids.loc[grid_code(5), "fire_station_covered"]


def test_a_kind_without_units_covers_nobody(city):
    cov = emergency_coverage(city.layers, city.network, kinds=["emergency"], limit_min=15)
    row = cov.summary.loc["emergency"]
    assert row["units"] == 0 and row["population_share"] == 0 and row["grids_share"] == 0
    assert np.isinf(cov.minutes["emergency"]).all()


def test_default_kinds_are_those_the_plans_require(city):
    from gridgis.categories import load_categories
    from gridgis.emergency_plans import Plan, PlanForce, load_emergency_plans

    plans = load_emergency_plans()
    assert set(emergency_kinds()) == {f.kind for p in plans.values() for f in p.forces}
    cats = load_categories()
    urgent = cats[cats["priority"] == "urgent"]["unit_kinds"]
    assert set(emergency_kinds("urgent")) == {k for ks in urgent for k in ks}
    mine = {"P1": Plan("P1", "火灾", "fire", ("X02",),
                       (PlanForce("fire_station", 2, 15.0), PlanForce("police_station", 1, 15.0)))}
    assert emergency_kinds(plans=mine) == ("fire_station", "police_station")
    cov = emergency_coverage(city.layers, city.network, limit_min=5)
    assert cov.kinds == list(emergency_kinds())
    assert cov.labelled().index[0] == "派出所"
    with pytest.raises(InputError):
        emergency_kinds("guess")


def test_bad_input_is_refused(city):
    with pytest.raises(InputError):
        emergency_coverage(city.layers, city.network, limit_min=0)
    with pytest.raises(InputError):
        emergency_coverage(city.layers, city.network, grid_share=1.5)
    no_buildings = SimpleNamespace(**{**vars(city.layers), "buildings": None})
    with pytest.raises(LayerError):
        emergency_coverage(no_buildings, city.network)


def test_uncovered_areas_hold_exactly_the_late_buildings(city):
    limit = 2.0
    cov = emergency_coverage(city.layers, city.network, kinds=["fire_station"],
                             limit_min=limit)
    areas = uncovered_areas(cov, city.layers, city.network)
    late = cov.minutes["fire_station"] > limit
    b = city.layers.buildings
    assert set(areas["kind"]) == {"fire_station"}
    assert areas["population"].sum() == b["population"][late].sum()
    assert areas["buildings"].sum() == late.sum()
    union = shapely.union_all(areas.geometry.values)
    inside = shapely.covers(union.buffer(1e-7), b.geometry.values)
    assert inside[late.to_numpy()].all()
    # a covered building lies outside (its own cell is not part of any area)
    on_time = ~late.to_numpy()
    assert not shapely.contains(union.buffer(-1e-7), b.geometry.values[on_time]).any()
    # the areas stay inside the grids (the empty field grid 6 is never drawn)
    grids = shapely.union_all(city.layers.grids.geometry.values[:5])
    assert grids.buffer(1e-6).contains(union)
    # the hamlet is one area of its own, and no unit reaches it
    hamlet = areas[areas["max_min"] == np.inf]
    assert len(hamlet) == 1 and hamlet["buildings"].iloc[0] == 2
    plane = areas.to_crs(PLANE)
    assert areas["area_km2"].to_numpy() == pytest.approx(plane.area.to_numpy() / 1e6,
                                                         rel=1e-3)


def test_no_uncovered_area_when_all_are_reached(city):
    layers = SimpleNamespace(**{**vars(city.layers), "buildings": city.layers.buildings[
        city.layers.buildings["grid_code"] != grid_code(5)]})
    cov = emergency_coverage(layers, city.network, kinds=["fire_station"], limit_min=60)
    assert len(uncovered_areas(cov, layers, city.network)) == 0


def test_isochrones_per_unit(city):
    iso = unit_isochrones(city.layers.units, city.network, kinds=["fire_station"],
                          minutes=(1, 2))
    assert iso["unit_id"].tolist() == ["F1", "F1", "F2", "F2"]
    assert iso["kind"].unique().tolist() == ["fire_station"]
    assert (iso.groupby("unit_id")["area_km2"].diff().dropna() > 0).all()


# --- MCLP --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corridor():
    """One 6 km road at 30 km/h (500 m a minute): an existing unit at its west end,
    a village of 300 at 5 km and a hamlet of 50 at 3 km, nobody else out east."""
    roads = gpd.GeoDataFrame({"speed_kmh": [SPEED]},
                             geometry=[shapely.LineString(lonlat([(0, 0), (6000, 0)]))],
                             crs=4326)
    xy = [(400, 0), (500, 0), (600, 0), (4950, 0), (5000, 0), (5050, 0), (3000, 0)]
    pop = [100, 100, 100, 100, 120, 80, 50]
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i in range(len(xy))], "population": pop,
         "households": [p // 2 for p in pop],
         "grid_code": [grid_code(1)] * 3 + [grid_code(3)] * 3 + [grid_code(2)]},
        geometry=points(xy), crs=4326)
    grids = gpd.GeoDataFrame({"code": [grid_code(i) for i in (1, 2, 3)]},
                             geometry=[polygon(-100, -500, 2000, 500),
                                       polygon(2000, -500, 4000, 500),
                                       polygon(4000, -500, 6100, 500)], crs=4326)
    units = gpd.GeoDataFrame({"unit_id": ["E1"], "name": ["应急一"], "kind": ["emergency"],
                              "township_code": TOWN}, geometry=points([(0, 0)]), crs=4326)
    layers = SimpleNamespace(buildings=buildings, grids=grids, units=units)
    return layers, RoadNetwork(roads)


def site_x(sites) -> np.ndarray:
    to_plane = Transformer.from_crs(4326, PLANE, always_xy=True)
    x, _ = to_plane.transform(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    return np.asarray(x) - X0


def test_mclp_puts_one_more_unit_between_village_and_hamlet(corridor):
    layers, net = corridor
    # 3 minutes = 1.5 km: only a site between 3.5 and 4.5 km reaches both (350 people)
    got = propose_sites(layers, net, "emergency", limit_min=3, max_candidates=40)
    assert len(got.sites) == 1
    x = site_x(got.sites)[0]
    assert 3500 - 1 <= x <= 4500 + 1
    assert got.sites["population_new"].iloc[0] == 350
    assert got.sites["population_new_buildings"].iloc[0] == 350
    assert got.sites["buildings_new"].iloc[0] == 4
    assert got.covered_before == 300 and got.covered_after == 650
    assert got.share_after == pytest.approx(650 / 650)
    assert got.sites["grid_code"].iloc[0] in (grid_code(2), grid_code(3))


def test_mclp_with_sites_of_ones_own_and_two_new_units(corridor):
    layers, net = corridor
    cands = gpd.GeoDataFrame({"site": ["west", "hamlet", "village"]},
                             geometry=points([(200, 0), (2500, 0), (5200, 0)]), crs=4326)
    one = propose_sites(layers, net, "emergency", limit_min=3, candidates=cands)
    assert one.sites["site"].tolist() == ["village"]
    assert one.sites["population_new_buildings"].iloc[0] == 300
    assert one.candidates == 3
    two = propose_sites(layers, net, "emergency", limit_min=3, candidates=cands, new_sites=2)
    assert two.sites["site"].tolist() == ["village", "hamlet"]
    assert two.sites["population_new_buildings"].tolist() == [300, 50]
    assert two.covered_after == 650
    with pytest.raises(InputError):
        propose_sites(layers, net, "emergency", new_sites=0)


def test_mclp_without_existing_units_of_the_kind(corridor):
    layers, net = corridor
    got = propose_sites(layers, net, "fire_station", limit_min=3, max_candidates=40)
    assert got.covered_before == 0
    # the village and the hamlet (350) beat the western cluster (300)
    assert got.sites["population_new_buildings"].iloc[0] == 350


def test_candidate_nodes_are_thinned_on_the_main_part(city):
    nodes = candidate_nodes(city.network, max_candidates=20)
    assert 0 < len(nodes) <= 20
    assert (city.network.components()[nodes] == 0).all()
    assert len(candidate_nodes(city.network, max_candidates=10_000)) == \
        (city.network.components() == 0).sum()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_reduced_mclp_reaches_the_brute_force_optimum(seed):
    from itertools import combinations

    from gridgis.analysis.siting import _solve

    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 30, size=(60, 9))
    cost[rng.random(cost.shape) < 0.2] = np.inf
    covered = rng.random(60) < 0.3
    weight = rng.integers(1, 100, 60).astype(float)
    for p in (1, 2, 3):
        best = max(weight[~covered & (cost[:, list(c)] <= 15).any(axis=1)].sum()
                   for c in combinations(range(9), p))
        got = _solve(cost, covered, weight, 15.0, p, None)
        assert len(got) == p
        assert weight[~covered & (cost[:, got] <= 15).any(axis=1)].sum() == best


def test_a_late_building_outside_every_grid_gets_a_disc(city):
    b = city.layers.buildings.copy()
    hamlet = b.index[b["grid_code"] == grid_code(5)]
    b.loc[hamlet, "grid_code"] = grid_code(99)  # a grid the layer does not hold
    layers = SimpleNamespace(**{**vars(city.layers), "buildings": b})
    cov = emergency_coverage(layers, city.network, kinds=["fire_station"], limit_min=60)
    areas = uncovered_areas(cov, layers, city.network)
    # two discs of 50 m, 400 m apart, instead of the hamlet's grid
    assert areas["buildings"].tolist() == [1, 1]
    assert areas["area_km2"].to_numpy() == pytest.approx([np.pi * 50**2 / 1e6] * 2, rel=0.03)
