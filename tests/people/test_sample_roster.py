import re
from dataclasses import replace

import pandas as pd
import pytest

from gridgis.people import passwords
from gridgis.people.roles import StaffRole
from gridgis.people.roster import ROSTER_COLUMNS, roster_members
from gridgis.sample import DEMO_PASSWORD, demo_accounts, load_sample_staff, sample_roster
from gridgis.store import SQLiteStore


@pytest.fixture(scope="module")
def roster(sample_layers):
    return sample_roster(sample_layers)


def test_the_columns_and_one_row_a_person(roster):
    assert list(roster.columns) == list(ROSTER_COLUMNS)
    assert roster["staff_id"].is_unique
    assert roster["phone"].is_unique
    assert roster["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert roster["name"].str.len().between(2, 4).all()


def test_every_grid_has_one_head_and_the_workers_the_layer_names(roster, sample_layers):
    workers = roster[roster["role"] == "grid_worker"]
    assert (workers["grids"].str.fullmatch(r"\d{15}")).all()  # one grid each
    heads = workers[workers["grade"] == "grid_head"]
    assert sorted(heads["grids"]) == sorted(sample_layers.grids["code"])
    counted = workers[workers["grade"] != "informant"]
    by_grid = counted.groupby("grids")["name"].agg(list)
    grids = sample_layers.grids.set_index("code")
    assert (by_grid.index.sort_values() == grids.index.sort_values()).all()
    for code, names in by_grid.items():
        assert names == grids.at[code, "worker_names"].split("、")  # the head named first
        assert len(names) == grids.at[code, "workers"]
    assert set(counted["grade"]) == {"grid_head", "full_time", "part_time"}
    assert (workers["area_code"] == workers["grids"].str[:12]).all()


def test_some_grids_have_an_informant(roster, sample_layers):
    informants = roster[roster["grade"] == "informant"]
    assert 0.05 * len(sample_layers.grids) < len(informants) < 0.5 * len(sample_layers.grids)
    assert informants["grids"].is_unique


def test_urban_grids_are_mostly_full_time_and_villages_mostly_part_time(roster, sample_layers):
    kind = dict(zip(sample_layers.communities["code"], sample_layers.communities["kind"],
                    strict=True))
    others = roster[roster["grade"].isin(["full_time", "part_time"])]
    share = (others["grade"] == "full_time").groupby(others["area_code"].map(kind)).mean()
    assert share["urban"] > 0.6 > 0.5 > share["rural"]


def test_every_unit_has_two_staff(roster, sample_layers):
    units = roster[roster["role"] == "unit"]
    assert units["unit_id"].value_counts().eq(2).all()
    assert set(units["unit_id"]) == set(sample_layers.units["unit_id"])
    serves = dict(zip(sample_layers.units["unit_id"], sample_layers.units["township_code"],
                      strict=True))
    assert (units["area_code"] == units["unit_id"].map(serves)).all()
    assert roster.loc[roster["role"] != "unit", "unit_id"].isna().all()


def test_dispatchers_of_each_level(roster, sample_layers):
    def areas(role):
        return roster.loc[roster["role"] == role, "area_code"].value_counts()

    communities = areas("community")
    assert communities.eq(1).all() and set(communities.index) == set(
        sample_layers.communities["code"])
    townships = areas("township")
    assert townships.eq(2).all() and set(townships.index) == set(sample_layers.townships["code"])
    assert areas("command_centre").to_dict() == {"330399": 3}
    for role in ("analyst", "planner", "admin"):
        assert areas(role).to_dict() == {"330399": 1}
    assert len(roster) == (len(roster[roster["role"] == "grid_worker"])
                           + 2 * len(sample_layers.units) + 154
                           + 2 * 14 + 3 + 3)


def test_ids_are_readable(roster):
    def ids(role):
        return roster.loc[roster["role"] == role, "staff_id"]

    workers = roster[roster["role"] == "grid_worker"]
    assert (workers["staff_id"].str[:11] == "wg" + workers["grids"].str[6:]).all()
    heads = workers[workers["grade"] == "grid_head"]
    assert heads["staff_id"].str.endswith("01").all()
    assert ids("community").str.fullmatch(r"sq\d{6}01").all()
    assert ids("township").str.fullmatch(r"jd\d{3}0[12]").all()
    assert ids("command_centre").tolist() == ["qx01", "qx02", "qx03"]
    assert ids("unit").str.fullmatch(r"dw\d{4}0[12]").all()
    assert roster.loc[roster["role"].isin(["analyst", "planner", "admin"]),
                      "staff_id"].tolist() == ["fx01", "gh01", "gl01"]
    assert "sq00100101" in set(ids("community"))  # community 330399001001


def test_deterministic_and_seeded(roster, sample_layers):
    pd.testing.assert_frame_equal(roster, sample_roster(sample_layers))
    other = sample_roster(sample_layers, seed=7)
    assert not other["phone"].equals(roster["phone"])
    heads = roster["grade"] == "grid_head"
    assert other.loc[other["grade"] == "grid_head", "staff_id"].tolist() == \
        roster.loc[heads, "staff_id"].tolist()


def test_the_roster_validates_against_its_district(roster, sample_layers):
    members = roster_members(roster, layers=sample_layers)
    assert len(members) == len(roster)


def test_a_grid_naming_nobody_gets_a_generated_head(small_layers):
    grids = small_layers.grids.copy()
    grids.loc[grids.index[0], "worker_names"] = None
    grids.loc[grids.index[0], "workers"] = 0
    layers = replace(small_layers, grids=grids)
    roster = sample_roster(layers)
    first = roster[roster["grids"] == grids["code"].iloc[0]]
    assert (first["grade"] == "grid_head").sum() == 1
    assert first["name"].str.len().min() >= 2


def test_demo_accounts_one_per_role(roster):
    accounts = demo_accounts(roster)
    assert accounts["role"].tolist() == [r.value for r in StaffRole]
    assert accounts.loc[0, "grade"] == "grid_head"


def test_the_demo_loads_an_empty_directory_with_one_hash(small_layers, monkeypatch):
    calls = []
    real = passwords.hash_password

    def counting(secret):
        calls.append(secret)
        return real(secret)

    monkeypatch.setattr(passwords, "hash_password", counting)
    store = SQLiteStore(":memory:")
    accounts = load_sample_staff(store.staff, small_layers)
    assert calls == [DEMO_PASSWORD]
    roster = sample_roster(small_layers)
    assert store.staff.count() == len(roster)
    for staff_id in accounts["staff_id"]:
        assert store.staff.password_hash(staff_id) is not None
    hashes = {store.staff.password_hash(s) for s in roster["staff_id"]}
    assert len(hashes) == 1
    assert passwords.verify_password(DEMO_PASSWORD, hashes.pop())
    assert re.fullmatch(r"wg\d{11}", accounts.loc[0, "staff_id"])
    assert load_sample_staff(store.staff, small_layers) is None  # not empty any more
    assert calls == [DEMO_PASSWORD]
    store.close()
