"""The console's 类案参考: a dispute's panel lists earlier mediation cases like it."""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import re

import pandas as pd
import pytest

from gridgis.dispatch import Dispatcher
from gridgis.mediation import MediationStore
from gridgis.mediation.sample import sample_mediation
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    SECRET,
    _inside,
    _open,
    _open_incident,
    _script_errors,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    page,
    prepared,
)


@pytest.fixture(scope="module")
def dispute(district, prepared) -> str:
    """Mediation cases in the console's store, and a medical dispute reported in township A."""
    layers, _ = district
    where, cast = prepared
    store = SQLiteStore(where / "console.sqlite")
    try:
        MediationStore(store.engine).load(sample_mediation(layers, per_year=300).frames())
        county = cast.people[cast.county]
        lon, lat = _inside(layers, cast.grid)
        record, _ = Dispatcher(layers, store).report(
            lon=lon, lat=lat, category="D06", source="grid_worker", by=county,
            description="患者手术后切口感染，家属在医院聚集要求赔偿")
        return record["incident_id"]
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(district, prepared, dispute):
    (where, _), (_, gpkg) = prepared, district
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        env.setenv("GRIDGIS_SECRET_KEY", SECRET)
        with serving(gpkg, where / "console.sqlite", where / "server.log") as base:
            yield base


def test_a_dispute_shows_similar_mediation_cases(page, server, cast, dispute):
    _open(page, server)
    _sign_in(page, cast.township_head)
    _open_incident(page, dispute)
    box = page.locator("#p-similar")
    expect(box).to_have_attribute("data-count", "5")
    expect(box.locator("li").first).to_contain_text("医疗纠纷")
    expect(box).to_contain_text("类案参考")
    _shot(page, "similar-cases")
    assert _script_errors(page) == [] and page.blocked == []


def test_a_non_dispute_has_no_similar_cases(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.county)
    _open_incident(page, cast.reported)
    assert page.locator("#p-similar").count() == 0


def _api(pg, path, method="GET", body=None):
    return pg.evaluate("([p, m, b]) => api(p, b ? {method: m, body: JSON.stringify(b)} : "
                       "{method: m})", [path, method, body])


def test_a_desk_registers_mediates_closes_and_checks_a_case(page, server, cast, dispute):
    from tests.console.test_console_i18n import latin_only

    _open(page, server)
    _sign_in(page, f"sq{cast.grid[:12]}")  # the community's mediation desk
    _open_incident(page, dispute)
    page.locator("#med-from-incident").click()
    form = page.locator("#med-open")
    expect(form).to_be_visible()
    expect(form.locator("[name=mediator_id] option").first).to_be_attached()
    form.locator("[name=title]").fill("术后切口感染赔偿纠纷")
    form.locator("[name=claim]").fill("要求医院赔偿医疗费、误工费 5 万元")
    form.locator("[name=amount]").fill("50000")
    form.locator("[name=a_name]").fill("王小明")
    form.locator("[name=a_phone]").fill("13812345678")
    form.locator("[name=r_kind]").select_option("hospital")
    form.locator("[name=r_name]").fill("区第二人民医院")
    org = form.locator("[name=org_id]").input_value()
    mediator = form.locator("[name=mediator_id]").input_value()
    form.locator("button[type=submit]").click()
    box = page.locator("#med-case")
    expect(box).to_have_attribute("data-case", re.compile(r"^TJ\d{4}W"))
    case_id = box.get_attribute("data-case")
    got = _api(page, f"/mediation/cases/{case_id}")
    assert got["incident_id"] == dispute and got["dispute_type"] == "M06"
    assert got["org_id"] == org and got["mediator_id"] == mediator and got["amount"] == 50000
    assert {(p["side"], p["kind"], p["name"]) for p in got["parties"]} == {
        ("applicant", "person", "王小明"), ("respondent", "hospital", "区第二人民医院")}
    page.locator("#med-session [name=note]").fill("听取双方陈述，组织医学专家评议")
    page.locator("#med-session button[type=submit]").click()
    expect(page.locator("#med-sessions li")).to_have_count(1)
    expect(page.locator("#med-session button[type=submit]")).to_contain_text("第 2 次")
    outcome = page.locator("#med-outcome")
    outcome.locator("[name=terms]").fill("医院一次性补偿 3 万元，双方再无其他争议")
    outcome.locator("[name=agreed_amount]").fill("30000")
    outcome.locator("button[type=submit]").click()
    expect(box).to_have_attribute("data-outcome", "agreement")
    fulfil = page.locator("#med-fulfil")
    fulfil.locator("[name=status]").select_option("unfulfilled")
    fulfil.locator("[name=note]").fill("医院未按期支付补偿款")
    fulfil.locator("button[type=submit]").click()
    expect(box).to_have_attribute("data-fulfilment", "unfulfilled")
    expect(page.locator("#med-followups li[data-kind=fulfil]")).to_have_count(1)
    expect(page.locator("#med-case-status")).to_contain_text("督促履行")
    got = _api(page, f"/mediation/cases/{case_id}")
    assert [s["note"] for s in got["sessions"]] == ["听取双方陈述，组织医学专家评议"]
    assert got["outcome"] == "agreement" and got["agreed_amount"] == 30000
    assert got["terms"] == "医院一次性补偿 3 万元，双方再无其他争议"
    assert got["fulfilment"] == "unfulfilled"
    assert [(f["status"], f["note"]) for f in got["fulfilment_checks"]] == [
        ("unfulfilled", "医院未按期支付补偿款")]
    assert [f["kind"] for f in got["followups"]] == ["fulfil"]
    assert latin_only(page) == []
    _shot(page, "mediation-case")
    assert _script_errors(page) == [] and page.blocked == []


def test_the_county_reads_the_warnings_with_their_test_and_notice(page, server, cast):
    from tests.console.test_console_i18n import latin_only

    _open(page, server)
    _sign_in(page, cast.county)
    listing = page.locator("#med-alerts")
    expect(listing).to_have_attribute("data-month", re.compile(r"^\d{4}-\d{2}$"))
    from gridgis.mediation.sample import SAMPLE_FIRST_MONTH, SAMPLE_MONTHS

    # the sample's months, newest first: the first with alerts (found through the API)
    months = [str(p) for p in pd.period_range(SAMPLE_FIRST_MONTH, periods=SAMPLE_MONTHS,
                                              freq="M")][::-1]
    found = ((m, _api(page, f"/mediation/warnings?month={m}")["alerts"]) for m in months)
    month, alerts = next((m, a) for m, a in found if a)
    page.locator("#med-month").fill(month)
    page.locator("#med-month-form button").click()
    expect(listing).to_have_attribute("data-month", month)
    expect(listing.locator("li")).to_have_count(len(alerts))
    for item, alert in zip(listing.locator("li").all(), alerts, strict=True):
        expect(item).to_have_attribute("data-key", alert["key"])
        assert item.get_attribute("data-test") == alert["test"]
        assert float(item.get_attribute("data-p")) == pytest.approx(alert["p_adjusted"])
        expect(item.locator(".med-test")).to_contain_text("Benjamini–Hochberg 校正 p =")
        expect(item.locator(".med-to")).to_contain_text(alert["authority"])
        expect(item.locator(".med-notice")).to_have_text(alert["notice"].split(" / ")[0])
    expect(page.locator("#med-cells")).to_contain_text(f"预警 {len(alerts)} 条")
    assert latin_only(page) == []
    _shot(page, "mediation-warnings")
    assert _script_errors(page) == [] and page.blocked == []
