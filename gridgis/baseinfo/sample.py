"""A synthetic base information for the sample district: no real person, fast to make.

From the district's buildings (:func:`gridgis.sample_district`):

- **addresses**: one door plate per building, on the nearest street
  (``瓯江路12号``; a village house without a street nearby takes its village's
  name), coded community + 6-digit sequence;
- **houses**: a building's households are its occupied houses (owner-occupied
  or rented), plus vacant ones and ground-floor shops on urban streets;
- **people**: exactly the building's population, every occupied house holding
  at least one person; identity numbers are made under the unused district
  code 330399 with valid check characters, phones under the unused prefix
  100, names drawn at random — nobody real;
- **organisations**: the shops and restaurants of the shop houses, firms
  along urban streets, a school and a clinic per community, each with a
  well-formed unified social credit code.

Every record carries the grid its point lies in (:meth:`gridgis.GridIndex.assign`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from gridgis.baseinfo.records import ID_CHECK, ID_WEIGHTS, LICENCE_CHARS, licence_check_char
from gridgis.sample import person_names

__all__ = ["SAMPLE_DAY", "BaseInfoSample", "load_sample", "sample_baseinfo", "sample_visits"]

SAMPLE_DAY = dt.date(2026, 12, 1)
"""The day the sample's ages are counted on."""
_STREET_CLASSES = ("arterial", "secondary", "street", "village")
_STREET_REACH_DEG = 0.0015  # about 150 m: farther from any street, the village names the house
_KEY_RATES = {"community_correction": 0.0005, "mental_disorder": 0.003, "drug_user": 0.001,
              "released_prisoner": 0.001, "petitioner": 0.0005, "disabled": 0.015,
              "low_income": 0.01}


@dataclass(frozen=True)
class BaseInfoSample:
    """The four registers as frames (the columns of the store's tables)."""

    addresses: pd.DataFrame
    houses: pd.DataFrame
    people: pd.DataFrame
    orgs: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Records of each kind."""
        return {"addresses": len(self.addresses), "houses": len(self.houses),
                "people": len(self.people), "orgs": len(self.orgs)}


def _addresses(layers, rng: np.random.Generator) -> pd.DataFrame:
    b = layers.buildings.reset_index(drop=True)
    pts = shapely.point_on_surface(np.asarray(b.geometry.values))
    roads = layers.roads
    road_name = np.full(len(b), None, dtype=object)
    near_street = np.zeros(len(b), dtype=bool)
    if roads is not None and len(roads):
        streets = roads[roads["road_class"].isin(_STREET_CLASSES)]
        near_street = shapely.STRtree(np.asarray(streets.geometry.values)).query(
            pts, predicate="dwithin", distance=_STREET_REACH_DEG / 3)[0]
        near_street = np.isin(np.arange(len(b)), near_street)
        streets = streets[streets["name"].fillna("").str.len().gt(0)]
        tree = shapely.STRtree(np.asarray(streets.geometry.values))
        which, found = tree.query_nearest(pts, max_distance=_STREET_REACH_DEG,
                                          all_matches=False)
        road_name[which] = streets["name"].to_numpy()[found]
    community = b["grid_code"].str[:12]
    names = layers.communities.set_index("code")["name"]
    road = np.where(pd.isna(road_name), community.map(names).fillna("无名").to_numpy(),
                    road_name)
    frame = pd.DataFrame({"building_id": b["building_id"].to_numpy(), "road": road,
                          "community": community.to_numpy(),
                          "lon": shapely.get_x(pts), "lat": shapely.get_y(pts)})
    frame["door_no"] = (frame.groupby("road").cumcount() + 1).astype(str) + "号"
    seq = frame.groupby("community").cumcount() + 1
    frame["door_code"] = frame["community"] + seq.map("{:06d}".format)
    frame["address_id"] = "A" + frame["door_code"]
    frame["full_text"] = frame["road"] + frame["door_no"]
    frame["_on_street"] = near_street
    frame["households"] = b["households"].to_numpy()
    frame["population"] = b["population"].to_numpy()
    return frame.drop(columns="community")


def _houses(addr: pd.DataFrame, urban: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    h = addr["households"].to_numpy()
    vacant = rng.binomial(h, 0.08)
    on_street = addr["_on_street"].to_numpy()
    shops = np.where(urban & on_street & (rng.random(len(addr)) < 0.25),
                     rng.integers(1, 4, len(addr)), 0)
    per = h + vacant + shops
    owner = np.repeat(np.arange(len(addr)), per)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(per) - per, per)  # index in the building
    kind = np.where(k < np.repeat(h, per), 0, np.where(k < np.repeat(h + vacant, per), 1, 2))
    rented = rng.random(len(owner)) < np.where(urban[owner], 0.25, 0.1)
    use = np.where(kind == 2, "shop", np.where(kind == 1, "vacant",
                                               np.where(rented, "rented", "owner_occupied")))
    per_floor = np.repeat(rng.integers(2, 5, len(addr)), per)
    floor, idx = 1 + k // per_floor, 1 + k % per_floor
    room = np.where(kind == 2, np.char.add("商铺", (k - np.repeat(h + vacant, per) + 1)
                                           .astype(str)),
                    np.char.add(floor.astype(str), np.char.zfill(idx.astype(str), 2)))
    area = np.where(kind == 2, rng.uniform(20, 120, len(owner)),
                    np.clip(rng.normal(88, 25, len(owner)), 30, 250)).round(1)
    ids = addr["address_id"].to_numpy()[owner]
    return pd.DataFrame({
        "house_id": "H" + pd.Series(ids).str[1:] + pd.Series(k + 1).map("{:03d}".format),
        "address_id": ids, "room": room, "use": use, "floor_area_m2": area,
        "_occupied": kind == 0, "_building": owner})


def _id_numbers(birth: pd.Series, male: np.ndarray) -> np.ndarray:
    """Synthetic identity numbers under district 330399, unique, with check characters."""
    key = pd.DataFrame({"d": birth.dt.strftime("%Y%m%d").to_numpy(), "m": male})
    seq = key.groupby(["d", "m"]).cumcount().to_numpy()
    seq = 2 * seq + male.astype(int)  # odd sequence for men, as GB 11643 has it
    first = "330399" + key["d"] + pd.Series(seq).map("{:03d}".format)
    digits = np.frombuffer("".join(first).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    check = np.array(list(ID_CHECK))[(digits * np.array(ID_WEIGHTS)).sum(axis=1) % 11]
    return (first + check).to_numpy()


def _people(addr: pd.DataFrame, houses: pd.DataFrame, urban: np.ndarray,
            rng: np.random.Generator) -> pd.DataFrame:
    occ = houses[houses["_occupied"]].reset_index(drop=True)
    b = occ["_building"].to_numpy()
    pop, hh = addr["population"].to_numpy(), addr["households"].to_numpy()
    size = np.ones(len(occ), dtype=np.int64)
    extra = np.maximum(pop - hh, 0)
    start = np.cumsum(hh) - hh
    lucky = np.repeat(start, extra) + (rng.random(int(extra.sum())) * np.repeat(hh, extra)
                                       ).astype(np.int64)
    size += np.bincount(lucky, minlength=len(occ))
    house = np.repeat(np.arange(len(occ)), size)
    n = len(house)
    alone = np.repeat(size == 1, size)
    age = np.where(alone & (rng.random(n) < 0.35), rng.integers(70, 95, n),
                   np.where(alone, rng.integers(20, 70, n), rng.integers(0, 90, n)))
    days = rng.integers(0, 365, n)
    birth = pd.Series(pd.to_datetime(SAMPLE_DAY) - pd.to_timedelta(age * 365.25 + days, "D")
                      ).dt.normalize()
    male = rng.random(n) < 0.51
    rented = (occ["use"].to_numpy() == "rented")[house]
    migrant = rng.random(n) < np.where(rented, 0.7, 0.08)
    tags: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(alone & (age >= 70)):
        tags[i].append("elderly_alone")
    adult = age >= 18
    for tag, rate in _KEY_RATES.items():
        for i in np.flatnonzero((rng.random(n) < rate) & (adult | (tag == "disabled"))):
            tags[i].append(tag)
    village = ~urban[b[house]]
    for i in np.flatnonzero(village & (age < 16) & (rng.random(n) < 0.05)):
        tags[i].append("left_behind_child")
    phone = np.where(adult, "100" + pd.Series(rng.integers(0, 10**8, n)).map("{:08d}".format),
                     None)
    ids = _id_numbers(birth, male)
    return pd.DataFrame({
        "person_id": "P" + pd.Series(ids).str[6:], "name": person_names(rng, n),
        "id_number": ids, "phone": phone, "gender": np.where(male, "male", "female"),
        "birth_date": birth.dt.date.to_numpy(), "residence": np.where(migrant, "migrant",
                                                                       "registered"),
        "house_id": occ["house_id"].to_numpy()[house],
        "address_id": occ["address_id"].to_numpy()[house], "tags": tags})


def _licences(rng: np.random.Generator, prefix: np.ndarray) -> np.ndarray:
    body = rng.choice(np.array(list(LICENCE_CHARS)), size=(len(prefix), 9))
    first = [f"{p}330399{''.join(r)}" for p, r in zip(prefix, body, strict=True)]
    return np.array([f + licence_check_char(f) for f in first])


def _orgs(addr: pd.DataFrame, houses: pd.DataFrame, urban: np.ndarray, communities,
          rng: np.random.Generator) -> pd.DataFrame:
    shop = houses[houses["use"] == "shop"]
    a = addr.set_index("address_id").loc[shop["address_id"]]
    kinds = rng.choice(["shop", "restaurant", "hotel"], len(shop), p=[0.68, 0.28, 0.04])
    on_street = addr["_on_street"].to_numpy()
    firms = addr[urban & on_street & (rng.random(len(addr)) < 0.03)]
    first = addr[~addr["door_code"].str[:12].duplicated()]
    seats = pd.concat([first.assign(kind="school"), first.assign(kind="clinic")])
    frames = [pd.DataFrame({"kind": kinds, "address_id": shop["address_id"].to_numpy(),
                            "road": a["road"].to_numpy(), "lon": a["lon"].to_numpy(),
                            "lat": a["lat"].to_numpy()}),
              firms.assign(kind="firm")[["kind", "address_id", "road", "lon", "lat"]],
              seats[["kind", "address_id", "road", "lon", "lat"]]]
    out = pd.concat(frames, ignore_index=True)
    label = {"shop": "便利店", "restaurant": "小吃店", "hotel": "旅馆", "firm": "科技有限公司",
             "school": "小学", "clinic": "卫生服务站"}
    n = len(out)
    out["name"] = (out["road"].str[:2] + pd.Series(rng.integers(1, 100, n)).astype(str)
                   + out["kind"].map(label))
    prefix = out["kind"].map({"shop": "92", "restaurant": "92", "hotel": "92", "firm": "91",
                              "school": "12", "clinic": "12"}).to_numpy()
    out["licence_id"] = _licences(rng, prefix)
    jitter = rng.normal(0, 0.00003, (n, 2))  # a few metres off the door
    out["lon"] += jitter[:, 0]
    out["lat"] += jitter[:, 1]
    out["org_id"] = "O" + out["address_id"].str[1:] + pd.Series(
        out.groupby("address_id").cumcount() + 1).map("{:02d}".format)
    return out.drop(columns="road")


def sample_baseinfo(layers, *, index=None, seed: int = 2026) -> BaseInfoSample:
    """Generate the base information of a district's buildings.

    Parameters
    ----------
    layers : Layers
        A district with buildings (and roads for the street names).
    index : GridIndex, optional
        Locates the records; default built from ``layers``.
    seed : int, default 2026

    Returns
    -------
    BaseInfoSample

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> s = sample_baseinfo(layers)
    >>> len(s.addresses) == len(layers.buildings)
    True
    >>> len(s.people) == int(layers.buildings["population"].sum())
    True
    """
    from gridgis.index.grid import GridIndex

    if layers.buildings is None or not len(layers.buildings):
        raise ValueError("the district has no buildings: no base information to make")
    rng = np.random.default_rng([seed, 23])
    index = index or GridIndex.from_layers(layers)
    addr = _addresses(layers, rng)
    kind = layers.communities.set_index("code")["kind"]
    urban = (addr["door_code"].str[:12].map(kind) == "urban").to_numpy()
    houses = _houses(addr, urban, rng)
    people = _people(addr, houses, urban, rng)
    orgs = _orgs(addr, houses, urban, layers.communities, rng)
    fields = ["grid_code", "community_code", "township_code"]
    for frame in (addr, orgs):
        got = index.assign(lon=frame["lon"].to_numpy(), lat=frame["lat"].to_numpy(),
                           with_distance=False)
        for f in fields:
            frame[f] = got[f].astype(object).to_numpy()
    grid = addr.set_index("address_id")[fields]
    houses = houses.drop(columns=["_occupied", "_building"]).join(grid, on="address_id")
    people = people.join(grid, on="address_id")
    addr = addr.drop(columns=["households", "population", "_on_street"])
    return BaseInfoSample(addr, houses, people, orgs)


def load_sample(engine, sample: BaseInfoSample, *, at: dt.datetime | None = None,
                visits: pd.DataFrame | None = None) -> dict[str, int]:
    """Write a generated sample (and :func:`sample_visits`) into a store's empty registers.

    Returns
    -------
    dict
        Records written per kind (and ``visits``).
    """
    from gridgis.baseinfo.bulk import load_records
    from gridgis.baseinfo.tables import baseinfo_metadata

    with engine.begin() as conn:
        baseinfo_metadata.create_all(conn, checkfirst=True)
    at = at or dt.datetime.combine(SAMPLE_DAY, dt.time(8))
    counts = {kind: load_records(engine, kind, getattr(sample, kind), at=at, actor="sample")
              for kind in ("addresses", "houses", "people", "orgs")}
    if visits is not None and len(visits):
        from gridgis.baseinfo.tables import visits as table

        columns = list(visits.columns)
        rows = [tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, pd.Timestamp)
                      else v for v in row)
                for row in visits.itertuples(index=False, name=None)]
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' * len(columns))})", rows)
        counts["visits"] = len(rows)
    return counts


def sample_visits(sample: BaseInfoSample, *, day: dt.date = SAMPLE_DAY, seed: int = 2026,
                  catalogue: dict | None = None) -> pd.DataFrame:
    """The last visit of every record a task of the catalogue applies to, by its grid head.

    Each record was last visited between the day and 1.25 times its task's
    interval before (so about a fifth of the tasks are overdue on ``day``), and
    one in twelve never: a task list that looks like a grid worker's. Grid
    heads are ``wg`` + the grid code's last nine digits + ``01``, as in
    :func:`gridgis.sample.sample_roster`.

    Returns
    -------
    pandas.DataFrame
        The columns of the ``bi_visits`` table, without ``visit_id``.
    """
    from gridgis.baseinfo.tasks import load_task_catalogue

    catalogue = catalogue if catalogue is not None else load_task_catalogue()
    rng = np.random.default_rng([seed, 24])
    frames = []
    for item in catalogue.values():
        if item.target == "people":
            p = sample.people
            hit = (p["residence"] == item.match) if item.match in ("registered", "migrant") \
                else p["tags"].map(lambda t, m=item.match: m in t)
            targets, key = p[hit], "person_id"
        elif item.target == "houses":
            targets, key = sample.houses[sample.houses["use"] == item.match], "house_id"
        elif item.target == "orgs":
            targets = sample.orgs if item.match == "*" else \
                sample.orgs[sample.orgs["kind"] == item.match]
            key = "org_id"
        else:
            continue
        visited = targets[rng.random(len(targets)) >= 1 / 12]
        n = len(visited)
        back = rng.uniform(0, 1.25 * item.every_days, n)
        done = (pd.Timestamp(day) - pd.to_timedelta(np.floor(back), "D")
                + pd.to_timedelta(rng.integers(9 * 60, 17 * 60, n), "min"))
        frames.append(pd.DataFrame({
            "task_code": item.code, "target_kind": item.target,
            "target_id": visited[key].to_numpy(),
            "staff_id": "wg" + visited["grid_code"].str[6:].to_numpy() + "01",
            "grid_code": visited["grid_code"].to_numpy(), "done_at": done,
            "note": "正常"}))
    out = pd.concat(frames, ignore_index=True)
    out["recorded_at"] = out["done_at"]
    return out
