"""Failed mediations: referral, follow-up tasks, petition referrals turn sensitive."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgis.errors import InputError
from gridgis.mediation import CaseNotFoundError, MediationStore, case_scope
from gridgis.mediation.followup import FOLLOW_UPS, open_followups, record_failure
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore


@pytest.fixture
def fresh(tmp_path, mediation_sample):
    store = MediationStore(SQLiteStore(tmp_path / "s.sqlite").engine)
    store.load(mediation_sample.frames())
    return store


def test_a_failure_is_referred_and_followed_up(fresh, mediation_sample):
    cases = mediation_sample.cases
    row = cases[(cases["outcome"] == "agreement") & ~cases["sensitive"]].iloc[0]
    at = dt.datetime(2026, 10, 20, 10)
    got = record_failure(fresh, row["case_id"], to="petition", reason="双方分歧较大",
                         by="TZ-1", at=at)
    assert [f["kind"] for f in got["followups"]] == [k for k, _, _ in FOLLOW_UPS]
    county = StaffMember("qx", "县", "command_centre", row["grid_code"][:6])
    seen = fresh.case(row["case_id"], scope=case_scope(county))
    assert seen["outcome"] == "failed" and seen["sensitive"]
    assert seen["referrals"][-1]["to_kind"] == "petition"
    assert len(seen["followups"]) == 3
    township = StaffMember("jd", "镇", "township", row["grid_code"][:9])
    with pytest.raises(CaseNotFoundError):  # sensitive now: not for the township
        fresh.case(row["case_id"], scope=case_scope(township))
    todo = open_followups(fresh, now=at + dt.timedelta(days=10), scope=case_scope(county))
    mine = todo[todo["case_id"] == row["case_id"]]
    assert list(mine["overdue_days"]) == [3, -4, -11]


def test_bad_referrals_are_refused(fresh, mediation_sample):
    case_id = mediation_sample.cases["case_id"].iloc[0]
    at = dt.datetime(2026, 10, 1)
    with pytest.raises(InputError):
        record_failure(fresh, case_id, to="police", reason="x", by="a", at=at)
    with pytest.raises(InputError):
        record_failure(fresh, case_id, to="court", reason="  ", by="a", at=at)
    with pytest.raises(CaseNotFoundError):
        record_failure(fresh, "TJ0", to="court", reason="x", by="a", at=at)


def test_the_sample_leaves_some_followups_open(mediation_store):
    todo = open_followups(mediation_store, now=dt.datetime(2026, 11, 1))
    assert len(todo) > 0 and todo["due_at"].is_monotonic_increasing


def test_the_service_index_follows_a_case_turning_sensitive(fresh, mediation_sample,
                                                           mediation_store):
    from gridgis.mediation.service import MediationService

    fresh.save_words(mediation_store.words())
    service = MediationService(fresh.engine)
    cases = mediation_sample.cases
    row = cases[(cases["dispute_type"] == "M09") & ~cases["sensitive"]].iloc[0]
    township = case_scope(StaffMember("jd", "镇", "township", row["grid_code"][:9]))
    query = row["facts"]
    assert row["case_id"] in [h.case_id for h in service.index().search(
        query, k=50, scope=township)]
    record_failure(fresh, row["case_id"], to="petition", reason="分歧大", by="m",
                   at=dt.datetime(2026, 10, 30))
    assert row["case_id"] not in [h.case_id for h in service.index().search(
        query, k=50, scope=township)]
