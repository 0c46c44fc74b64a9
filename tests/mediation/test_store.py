"""The mediation tables: loading, reading within a scope, sensitive cases, masked parties."""

from __future__ import annotations

import pytest

from gridgis.errors import AccessDeniedError
from gridgis.mediation import CaseNotFoundError, MediationStore, case_scope
from gridgis.mediation.access import CaseScope
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore


def _township(sample) -> str:
    return sample.cases["grid_code"].str[:9].value_counts().index[0]


def test_round_trip(mediation_sample, mediation_store):
    assert mediation_store.count() == len(mediation_sample.cases)
    back = mediation_store.cases()
    assert set(back["case_id"]) == set(mediation_sample.cases["case_id"])
    assert "scenario" not in back  # the labels are not stored
    orgs = mediation_store.table("organisations")
    assert set(orgs["kind"]) == {"community", "township", "professional"} | (
        {"village"} & set(orgs["kind"]))
    assert set(back["org_id"]) <= set(orgs["org_id"])
    assert set(back["mediator_id"]) <= set(mediation_store.table("mediators")["mediator_id"])


def test_tables_made_on_open_are_idempotent(tmp_path):
    engine = SQLiteStore(tmp_path / "s.sqlite").engine
    MediationStore(engine)
    assert MediationStore(engine).count() == 0


def test_area_scope_reads_only_its_cases(mediation_sample, mediation_store):
    town = _township(mediation_sample)
    person = StaffMember("jd01", "李敏", "township", town)
    got = mediation_store.cases(scope=case_scope(person))
    assert len(got) > 0
    assert got["grid_code"].str.startswith(town).all()
    assert not got["sensitive"].any()  # a township does not read sensitive cases
    expected = mediation_sample.cases
    expected = expected[expected["grid_code"].str.startswith(town) & ~expected["sensitive"]]
    assert len(got) == len(expected)


def test_sensitive_cases_for_the_county_and_the_receiving_unit(mediation_sample,
                                                               mediation_store):
    cases = mediation_sample.cases
    assert cases["sensitive"].sum() > 0
    county = StaffMember("qx01", "县中心", "command_centre", cases["grid_code"].iloc[0][:6])
    assert mediation_store.cases(scope=case_scope(county))["sensitive"].sum() == \
        cases["sensitive"].sum()
    referrals = mediation_sample.referrals.dropna(subset=["to_unit"])
    unit_id = referrals["to_unit"].iloc[0]
    unit = StaffMember("u01", "司法所", "unit", cases["grid_code"].iloc[0][:9], unit_id=unit_id)
    got = mediation_store.cases(scope=case_scope(unit))
    assert set(got["case_id"]) == set(referrals.loc[referrals["to_unit"] == unit_id, "case_id"])


def test_case_detail_masks_parties_for_a_grid_worker(mediation_sample, mediation_store):
    case = mediation_sample.cases[~mediation_sample.cases["sensitive"]].iloc[0]
    grid = case["grid_code"]
    worker = StaffMember("wg1", "王五", "grid_worker", grid[:12], grade="full_time",
                         grids=(grid,))
    seen = mediation_store.case(case["case_id"], scope=case_scope(worker))
    person = next(p for p in seen["parties"] if p["side"] == "applicant")
    raw = mediation_sample.parties
    name = raw.loc[(raw["case_id"] == case["case_id"]) & (raw["side"] == "applicant"),
                   "name"].iloc[0]
    if person["kind"] == "person":
        assert person["name"] == name[0] + "**" and person["masked"]
        assert "****" in person["phone"]
    desk = StaffMember("sq1", "社区", "community", grid[:12])
    whole = mediation_store.case(case["case_id"], scope=case_scope(desk))
    assert next(p for p in whole["parties"] if p["side"] == "applicant")["name"] == name
    assert whole["sessions"] and whole["sessions"][0]["seq"] == 1


def test_case_outside_scope_is_not_found(mediation_sample, mediation_store):
    case = mediation_sample.cases.iloc[0]
    other = StaffMember("sq9", "别处", "community", "330399999999")
    with pytest.raises(CaseNotFoundError):
        mediation_store.case(case["case_id"], scope=case_scope(other))
    with pytest.raises(CaseNotFoundError):
        mediation_store.case("TJ000000000", scope=CaseScope(("33",), (), True, True))


def test_disabled_account_reads_nothing():
    with pytest.raises(AccessDeniedError):
        case_scope(StaffMember("x1", "停用", "township", "330399001", active=False))
