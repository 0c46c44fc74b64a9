"""Quality assessments (质量评估) and learning material (学习资料): sample, writes, search."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from gridgis.errors import AccessDeniedError, ConflictError, InputError
from gridgis.mediation import CaseNotFoundError, MediationStore, case_scope
from gridgis.mediation import tables as t
from gridgis.mediation.materials import MaterialIndex, add_material, materials_frame
from gridgis.mediation.quality import assess, grade_of, quality_by_organisation, total_of
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore

AT = dt.datetime(2026, 11, 2, 9)


@pytest.fixture
def fresh(mediation_sample, tmp_path) -> MediationStore:
    """The sample in a store of its own (the tests write)."""
    store = SQLiteStore(tmp_path / "s.sqlite")
    cases = MediationStore(store.engine)
    cases.load(mediation_sample.frames())
    yield cases
    store.close()


def test_the_sample_assesses_closed_cases_and_writes_material(mediation_sample):
    cases = mediation_sample.cases.set_index("case_id")
    a = mediation_sample.assessments
    assert 0.15 < len(a) / cases["outcome"].notna().sum() < 0.35
    assert cases.loc[a["case_id"], "outcome"].notna().all()
    agreed = cases.loc[a["case_id"], "outcome"].eq("agreement").to_numpy()
    # fulfilment is scored for agreements whose fulfilment is known, never for the others
    assert a.loc[~agreed, "fulfilment"].isna().all()
    for row in a.itertuples():
        assert row.total == total_of(row._asdict()) and row.grade == grade_of(row.total).value
    failed = a[cases.loc[a["case_id"], "outcome"].eq("failed").to_numpy()]
    assert failed["satisfaction"].mean() < a.loc[agreed, "satisfaction"].mean()
    m = mediation_sample.materials
    assert set(m["kind"]) == {"law", "training", "commentary"}
    model = set(cases.index[cases["model_case"]])
    assert model and set(m.loc[m["kind"] == "commentary", "case_id"]) == model
    assert m["material_id"].is_unique
    f = mediation_sample.fulfilments
    known = cases[(cases["outcome"] == "agreement") & (cases["fulfilment"] != "pending")]
    assert set(f["case_id"]) == set(known.index)
    assert (f.set_index("case_id")["status"] == known.loc[f["case_id"], "fulfilment"]).all()


def test_a_township_reviewer_assesses_a_closed_case_once(fresh, mediation_sample):
    cases = mediation_sample.cases
    done = cases[(cases["outcome"] == "agreement") & ~cases["sensitive"]
                 & ~cases["case_id"].isin(mediation_sample.assessments["case_id"])].iloc[0]
    town = done["grid_code"][:9]
    reviewer = StaffMember(f"jd{town}", "司法所李敏", "township", town)
    scope = case_scope(reviewer)
    scores = {"procedure": 95, "legality": 92, "satisfaction": 88, "fulfilment": 100}
    row, created = assess(fresh, reviewer, scope, done["case_id"], **scores,
                          note="程序规范", at=AT)
    assert created and row["grade"] == "excellent" and row["total"] == total_of(scores)
    again, created = assess(fresh, reviewer, scope, done["case_id"], **scores,
                            note="程序规范", at=AT)
    assert not created and again["assessment_id"] == row["assessment_id"]
    with pytest.raises(ConflictError, match="已评估") as err:
        assess(fresh, reviewer, scope, done["case_id"], **{**scores, "procedure": 60}, at=AT)
    assert err.value.field == "case_id"
    seen = fresh.case(done["case_id"], scope=scope)
    assert [x["assessor"] for x in seen["assessments"]] == [reviewer.staff_id]


def test_assessment_refusals(fresh, mediation_sample):
    cases = mediation_sample.cases
    open_case = cases[cases["outcome"].isna() & ~cases["sensitive"]].iloc[0]
    failed = cases[(cases["outcome"] == "failed") & ~cases["sensitive"]].iloc[0]
    town = open_case["grid_code"][:9]
    reviewer = StaffMember(f"jd{town}", "司法所", "township", town)
    scope = case_scope(reviewer)
    ok = {"procedure": 80, "legality": 80, "satisfaction": 80}
    with pytest.raises(ConflictError, match="尚未结案"):
        assess(fresh, reviewer, scope, open_case["case_id"], **ok, at=AT)
    ftown = failed["grid_code"][:9]
    freviewer = StaffMember(f"jd{ftown}", "司法所", "township", ftown)
    with pytest.raises(InputError) as err:
        assess(fresh, freviewer, case_scope(freviewer), failed["case_id"], **ok,
               fulfilment=50, at=AT)
    assert err.value.field == "fulfilment"
    with pytest.raises(InputError) as err:
        assess(fresh, freviewer, case_scope(freviewer), failed["case_id"],
               **{**ok, "legality": 101}, at=AT)
    assert err.value.field == "legality"
    community = StaffMember("sq1", "社区", "community", open_case["grid_code"][:12])
    with pytest.raises(AccessDeniedError, match="乡镇"):
        assess(fresh, community, case_scope(community), failed["case_id"], **ok, at=AT)
    other = ftown[:6] + "999"  # another township
    outsider = StaffMember(f"jd{other}", "司法所", "township", other)
    with pytest.raises(CaseNotFoundError):
        assess(fresh, outsider, case_scope(outsider), failed["case_id"], **ok, at=AT)


def test_one_assessment_per_case_and_reviewer_is_kept_by_the_database(fresh, mediation_sample):
    row = mediation_sample.assessments.iloc[0].to_dict()
    row.pop("assessment_id", None)
    with pytest.raises(sa.exc.IntegrityError), fresh.engine.begin() as conn:
        conn.execute(sa.insert(t.assessments).values(**{**row, "note": "again"}))


def test_quality_by_organisation_reads_within_scope(fresh, mediation_sample):
    everyone = quality_by_organisation(fresh)
    assert everyone["assessed"].sum() == mediation_sample.assessments["case_id"].nunique()
    assert everyone["total"].is_monotonic_decreasing
    community = mediation_sample.cases["grid_code"].str[:12].value_counts().index[0]
    mine = quality_by_organisation(
        fresh, scope=case_scope(StaffMember("sq", "社区", "community", community)))
    assert 0 < mine["assessed"].sum() < everyone["assessed"].sum()
    # the committees of other communities mediated none of the community's cases
    committees = mine.loc[mine["org_id"].str.startswith("TW"), "org_id"]
    assert set(committees) == {f"TW{community}"}


def test_learning_material_is_found_by_everyday_words(fresh):
    index = MaterialIndex(materials_frame(fresh))
    titles = index.frame.set_index("material_id")["title"]
    hit = index.search("老人生病子女不给钱", k=3)
    assert titles[hit[0].material_id] == "成年子女的赡养义务"
    laws = index.search("医院 鉴定", kind="law", k=5)
    assert laws and all(index.frame.set_index("material_id").loc[h.material_id, "kind"] == "law"
                        for h in laws)
    tagged = index.search(None, tag="M06", k=100)
    assert tagged and all("M06" in index.tags[index.ids.tolist().index(h.material_id)]
                          for h in tagged)
    assert index.search("xyzzy", k=5) == []


def test_material_is_added_by_the_township_or_county_once(fresh):
    county = StaffMember("qx330399", "县司法局", "command_centre", "330399")
    body = {"kind": "training", "title": "预付卡纠纷调解要点", "source": "2026 年培训班",
            "body": "核实预付卡余额，联合市场监管部门处置跑路商家。", "tags": ["M08", "预付卡"],
            "on": AT.date()}
    row, created = add_material(fresh, county, **body)
    assert created and row["material_id"].startswith("XX")
    again, created = add_material(fresh, county, **body)
    assert not created and again["material_id"] == row["material_id"]
    with pytest.raises(ConflictError) as err:
        add_material(fresh, county, **{**body, "body": "另一段内容"})
    assert err.value.field == "title"
    with pytest.raises(InputError):
        add_material(fresh, county, **{**body, "kind": "commentary"})
    with pytest.raises(AccessDeniedError):
        add_material(fresh, StaffMember("sq", "社区", "community", "330399001001"), **body)
    index = MaterialIndex(materials_frame(fresh))
    assert index.search("商家跑路 预付卡", k=1)[0].material_id == row["material_id"]
