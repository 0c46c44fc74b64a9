"""Townships, communities and grids of the sample district, in metres."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from gridgis.sample._hierarchy import adjacency, farthest_points, grow_groups
from gridgis.sample._names import person_names, place_names
from gridgis.sample._tessellation import Settlement, district_outline, grid_cells, grid_seeds

__all__ = ["Admin", "build_admin"]

GRIDS_PER_URBAN_COMMUNITY = 6
GRIDS_PER_TOWN_COMMUNITY = 9
GRIDS_PER_VILLAGE = 1.6


@dataclass
class Admin:
    """The administrative layers in metres plus what later steps need."""

    townships: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    settlements: list[Settlement]
    outline: shapely.Polygon


def _settlements(rng: np.random.Generator, outline: shapely.Polygon, scale: float
                 ) -> list[Settlement]:
    k = np.sqrt(scale)
    city = Settlement(3500 * k, 800 * k, 2300 * k, 210, "city", 4000 * k, 650)
    towns: list[Settlement] = []
    n_towns = round(5 * scale)
    minx, miny, maxx, maxy = outline.bounds
    inner = outline.buffer(-1500 * k)
    tries = 0
    while len(towns) < n_towns and tries < 5000:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not shapely.contains_xy(inner, x, y):
            continue
        if np.hypot(x - city.x, y - city.y) < city.radius + 3500:
            continue
        if any(np.hypot(x - t.x, y - t.y) < 4500 for t in towns):
            continue
        towns.append(Settlement(x, y, 600, 250, "town", 1300, 520))
    return [city, *towns]


def _sequence_order(xy: np.ndarray) -> np.ndarray:
    """Order features north-west first, row by row (rows 400 m high)."""
    return np.lexsort((xy[:, 0], -np.round(xy[:, 1] / 400.0)))


def _seeded_groups(centres: np.ndarray, pairs: tuple, zone: np.ndarray,
                   per_group: dict[int, float], rng: np.random.Generator) -> np.ndarray:
    sources = []
    for z in np.unique(zone):
        members = np.flatnonzero(zone == z)
        k = max(1, round(len(members) / per_group.get(int(z), per_group[-1])))
        sources.extend(members[farthest_points(centres[members], k, rng)])
    return grow_groups(centres, pairs, np.array(sources), zone)


def build_admin(rng: np.random.Generator, scale: float, district_code: str) -> Admin:
    """Build the three administrative layers of the sample district in metres."""
    outline = district_outline(rng, 12500 * np.sqrt(scale))
    settlements = _settlements(rng, outline, scale)
    seeds, owner = grid_seeds(rng, outline, settlements, rural_spacing=1800)
    cells = grid_cells(seeds, outline)
    centres = shapely.get_coordinates(shapely.centroid(cells))
    pairs = adjacency(cells)

    # communities: grow inside each settlement (zone = settlement index, -1 = countryside)
    per = {0: GRIDS_PER_URBAN_COMMUNITY, -1: GRIDS_PER_VILLAGE}
    per |= {i: GRIDS_PER_TOWN_COMMUNITY for i in range(1, len(settlements))}
    comm_of_grid = _seeded_groups(centres, pairs, owner, per, rng)
    n_comm = comm_of_grid.max() + 1
    comm_geom = np.array([shapely.coverage_union_all(cells[comm_of_grid == c])
                          for c in range(n_comm)], dtype=object)
    comm_zone = np.array([np.bincount(owner[comm_of_grid == c] + 1).argmax() - 1
                          for c in range(n_comm)])
    comm_centres = shapely.get_coordinates(shapely.centroid(comm_geom))
    comm_pairs = adjacency(comm_geom)

    # townships: streets in the city, one town per town centre, rural townships elsewhere
    in_city = comm_zone == 0
    n_streets = max(1, round(6 * scale))
    city_idx = np.flatnonzero(in_city)
    city_grids = centres[np.isin(comm_of_grid, city_idx)]
    street_src = city_idx[farthest_points(comm_centres[city_idx], n_streets, rng,
                                          mass=city_grids)]
    town_src = [int(np.flatnonzero(comm_zone == z)[0]) for z in range(1, len(settlements))
                if (comm_zone == z).any()]
    rural_idx = np.flatnonzero(comm_zone == -1)
    n_rural_towns = max(0, round(3 * scale))
    taken = np.concatenate([street_src, town_src]).astype(int)
    rural_src: list[int] = []
    if n_rural_towns and len(rural_idx):
        # rural townships start where the existing seats are farthest away
        d = np.min(np.hypot(*(comm_centres[rural_idx][:, None] - comm_centres[taken][None]
                              ).transpose(2, 0, 1)), axis=1)
        for _ in range(min(n_rural_towns, len(rural_idx))):
            pick = int(rural_idx[np.argmax(d)])
            rural_src.append(pick)
            d = np.minimum(d, np.hypot(*(comm_centres[rural_idx] - comm_centres[pick]).T))
    sources = np.concatenate([street_src, town_src, rural_src]).astype(int)
    kinds = ["street"] * len(street_src) + ["town"] * len(town_src) + ["xiang"] * len(rural_src)
    town_of_comm = grow_groups(comm_centres, comm_pairs, sources, in_city.astype(int))
    town_geom = np.array([shapely.coverage_union_all(comm_geom[town_of_comm == t])
                          for t in range(len(sources))], dtype=object)

    # codes: streets 001.., towns 101.., rural townships 201..; communities 001.., villages 201..
    names_taken: set[str] = set()
    town_codes = np.empty(len(sources), dtype=object)
    town_names = np.empty(len(sources), dtype=object)
    base = {"street": 1, "town": 101, "xiang": 201}
    suffix = {"street": "街道", "town": "镇", "xiang": "乡"}
    for kind in base:
        idx = np.flatnonzero(np.array(kinds) == kind)
        idx = idx[_sequence_order(shapely.get_coordinates(shapely.centroid(town_geom[idx])))]
        for seq, t in enumerate(idx):
            town_codes[t] = f"{district_code}{base[kind] + seq:03d}"
        for t, name in zip(idx, place_names(rng, len(idx), suffix[kind], names_taken),
                           strict=True):
            town_names[t] = name
    townships = gpd.GeoDataFrame(
        {"code": town_codes, "name": town_names, "district_code": district_code},
        geometry=list(town_geom), crs=None)

    comm_kind = np.where(comm_zone >= 0, "urban", "rural")
    comm_codes = np.empty(n_comm, dtype=object)
    comm_names = np.empty(n_comm, dtype=object)
    for t in range(len(sources)):
        for kind, first, sfx in (("urban", 1, "社区"), ("rural", 201, "村")):
            idx = np.flatnonzero((town_of_comm == t) & (comm_kind == kind))
            idx = idx[_sequence_order(comm_centres[idx])]
            for seq, c in enumerate(idx):
                comm_codes[c] = f"{town_codes[t]}{first + seq:03d}"
            for c, name in zip(idx, place_names(rng, len(idx), sfx, names_taken), strict=True):
                comm_names[c] = name
    communities = gpd.GeoDataFrame(
        {"code": comm_codes, "name": comm_names, "township_code": town_codes[town_of_comm],
         "kind": comm_kind}, geometry=list(comm_geom))

    grid_codes = np.empty(len(cells), dtype=object)
    grid_names = np.empty(len(cells), dtype=object)
    for c in range(n_comm):
        idx = np.flatnonzero(comm_of_grid == c)
        idx = idx[_sequence_order(centres[idx])]
        for seq, g in enumerate(idx, start=1):
            grid_codes[g] = f"{comm_codes[c]}{seq:03d}"
            grid_names[g] = f"{comm_names[c]}第{seq}网格"
    urban_grid = comm_kind[comm_of_grid] == "urban"
    workers = np.where(urban_grid, rng.integers(2, 5, len(cells)), rng.integers(1, 4, len(cells)))
    people = person_names(rng, int(workers.sum()))
    splits = np.cumsum(workers)[:-1]
    worker_names = ["、".join(p) for p in np.split(np.array(people, dtype=object), splits)]
    grids = gpd.GeoDataFrame(
        {"code": grid_codes, "name": grid_names, "community_code": comm_codes[comm_of_grid],
         "households": 0, "population": 0, "workers": workers, "worker_names": worker_names,
         "_urban": urban_grid, "_zone": owner},
        geometry=list(cells))
    order = np.argsort(grid_codes)
    return Admin(
        townships=townships.iloc[np.argsort(town_codes)].reset_index(drop=True),
        communities=communities.iloc[np.argsort(comm_codes)].reset_index(drop=True),
        grids=grids.iloc[order].reset_index(drop=True),
        settlements=settlements,
        outline=outline,
    )

