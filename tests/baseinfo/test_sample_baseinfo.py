"""The synthetic base information agrees with the district's buildings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridgis.baseinfo.records import valid_id_number, valid_licence_id


def test_one_address_per_building_located_in_its_grid(small_layers, small_baseinfo):
    addr = small_baseinfo.addresses
    b = small_layers.buildings
    assert sorted(addr["building_id"]) == sorted(b["building_id"])
    assert addr["door_code"].is_unique and addr["door_code"].str.fullmatch(r"\d{18}").all()
    assert addr["full_text"].str.endswith("号").all() and not addr["road"].eq("").any()
    # the sample's buildings carry their grid: the index must agree with it
    grid = b.set_index("building_id")["grid_code"]
    assert (addr["grid_code"].to_numpy() == grid.loc[addr["building_id"]].to_numpy()).mean() > 0.99
    assert (addr["community_code"] == addr["grid_code"].str[:12]).all()


def test_households_and_population_are_the_buildings(small_layers, small_baseinfo):
    s = small_baseinfo
    b = small_layers.buildings.set_index("building_id")
    where = s.addresses.set_index("address_id")["building_id"]
    occupied = s.houses[s.houses["use"].isin(["owner_occupied", "rented"])]
    per_building = occupied["address_id"].map(where).value_counts()
    assert per_building.reindex(b.index, fill_value=0).eq(b["households"]).all()
    people = s.people["address_id"].map(where).value_counts()
    assert people.reindex(b.index, fill_value=0).eq(b["population"]).all()
    # every occupied house holds someone; no one lives in a vacant house or a shop
    lived_in = set(s.people["house_id"])
    assert set(occupied["house_id"]) <= lived_in
    assert not lived_in & set(s.houses.loc[~s.houses.index.isin(occupied.index), "house_id"])


def test_identities_are_synthetic_valid_and_unique(small_baseinfo):
    p = small_baseinfo.people
    assert p["id_number"].is_unique and p["person_id"].is_unique
    assert p["id_number"].str.startswith("330399").all()  # an unused district code
    assert all(valid_id_number(i) for i in p["id_number"])
    births = pd.to_datetime(p["id_number"].str[6:14])
    assert (births.dt.date.to_numpy() == p["birth_date"].to_numpy()).all()
    male = p["id_number"].str[16].astype(int) % 2 == 1
    assert (np.where(male, "male", "female") == p["gender"]).all()
    phones = p["phone"].dropna()
    assert phones.str.fullmatch(r"100\d{8}").all()  # prefix 100 is no mobile number
    o = small_baseinfo.orgs
    assert o["licence_id"].map(valid_licence_id).all() and o["org_id"].is_unique


def test_tags_follow_the_households(small_baseinfo):
    p = small_baseinfo.people
    size = p.groupby("house_id")["person_id"].transform("size")
    elderly = p["tags"].map(lambda t: "elderly_alone" in t)
    assert elderly.sum() > 0 and (size[elderly] == 1).all()
    age = (pd.Timestamp("2026-12-01") - pd.to_datetime(p["birth_date"])).dt.days / 365.25
    assert (age[elderly] >= 69.9).all()
    kinds = {t for tags in p["tags"] for t in tags}
    assert {"disabled", "mental_disorder", "low_income"} <= kinds


def test_organisations_stand_on_addresses(small_baseinfo):
    o = small_baseinfo.orgs
    assert set(o["address_id"]) <= set(small_baseinfo.addresses["address_id"])
    assert {"shop", "restaurant", "school", "clinic"} <= set(o["kind"])
    assert o["grid_code"].notna().all()
