"""The console in Chinese from one catalogue (api/static/i18n.js), English the second language.

The rendered page is scanned: no label shown (text, title, aria-label, placeholder, the
options of a select) may be Latin words without Chinese, identifiers (E20261202-0001,
E02, 100 m) aside. The service's refusals are shown in Chinese too, whatever their
English half says.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import re

from tests.console.test_console import (  # noqa: F401 - fixtures
    _inside,
    _open,
    _open_incident,
    _script_errors,
    _settle_at,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    page,
    prepared,
    server,
)

# every visible text of the page, with where it was found
SHOWN = """() => {
  const out = [];
  const visible = (el) => el.checkVisibility && el.checkVisibility() && !el.closest("[lang=en]");
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el) || ["SCRIPT", "STYLE", "TEMPLATE"].includes(el.tagName)) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent)
      .join(" ").trim();
    if (own) out.push([el.tagName + (el.id ? "#" + el.id : ""), own]);
    for (const attr of ["title", "aria-label", "placeholder"]) {
      if (el.getAttribute(attr)) out.push([el.tagName + "@" + attr, el.getAttribute(attr)]);
    }
    if (el.tagName === "SELECT") {
      for (const o of el.options) out.push(["OPTION", o.textContent.trim()]);
    }
  }
  return out;
}"""
CJK = re.compile(r"[\u3400-\u9fff]")
IDENTIFIER = re.compile(r"\b(?:[A-Z]{1,3}\d[\w-]*|\d+(?:\.\d+)?\s*k?m)\b")
WORD = re.compile(r"[A-Za-z]{2,}")


def latin_only(pg) -> list[tuple[str, str]]:
    """The labels shown in Latin letters alone (no Chinese), identifiers aside."""
    found = []
    for where, text in pg.evaluate(SHOWN):
        if CJK.search(text):
            continue
        if WORD.search(IDENTIFIER.sub("", text)):
            found.append((where, text))
    return found


def test_the_board_and_an_incident_are_all_chinese(page, server, cast):
    _open(page, server)
    assert latin_only(page) == []  # the sign-in form
    _sign_in(page, cast.county)
    shown = page.evaluate(SHOWN)
    assert len(shown) > 50  # the scan reads the board, not an empty page
    assert latin_only(page) == []
    _open_incident(page, cast.dispatched_b)
    assert latin_only(page) == []
    # the standard terms of the field, and the closed state's 已结案 apart from the unit's 处置
    statuses = page.locator("#f-status option").all_inner_texts()
    terms = {"待受理", "已立案", "已派遣", "处置中", "待核查", "待回访", "挂账", "已结案"}
    assert terms <= set(statuses)
    expect(page.locator("#p-stage")).not_to_contain_text("办结")
    _open_incident(page, cast.resolved)
    assert latin_only(page) == []
    _shot(page, "chinese")
    assert _script_errors(page) == [] and page.blocked == []


def test_the_report_form_and_the_patrols_are_all_chinese(page, server, cast, district):
    layers, _ = district
    grid = layers.grids.set_index("code").loc[cast.loop_grid]
    _open(page, server)
    _sign_in(page, f"sq{grid['community_code']}")
    lon, lat = _inside(layers, cast.loop_grid)
    _settle_at(page, lon, lat)
    popup = page.locator(".leaflet-popup-content")
    popup.locator(".locate-result").wait_for()
    popup.locator("select[name=category]").select_option("E02")
    expect(popup.locator(".units-near")).to_be_visible()
    popup.locator("details.reporter summary").click()
    assert latin_only(page) == []
    assert _script_errors(page) == [] and page.blocked == []


def test_the_services_refusals_are_shown_in_chinese(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.township_head)
    inc = page.evaluate(f"api('/incidents/{cast.elsewhere_a}')")
    # a stale version: the service's reason is English only; the console says it in Chinese
    conflict = page.evaluate(f"""api('/incidents/{cast.elsewhere_a}/transitions', {{
        method: 'POST', body: JSON.stringify({{action: 'accept', version: {inc['version'] + 9}}})
        }}).then(() => 'accepted', (e) => e.message)""")
    assert CJK.search(conflict) and not WORD.search(IDENTIFIER.sub("", conflict)), conflict
    # a value out of range: the field is named in Chinese
    invalid = page.evaluate("api('/locate?lon=500&lat=30').then(() => 'ok', (e) => e.message)")
    assert "经度" in invalid and not WORD.search(invalid), invalid
    # a refusal in both languages: its Chinese half
    missing = page.evaluate("api('/incidents/E20990101-9999').then(() => 'ok', (e) => e.message)")
    assert CJK.search(missing) and " / " not in missing, missing
    assert _script_errors(page) == [] and page.blocked == []


def test_english_is_the_second_language(page, server, cast):
    _open(page, server)
    _sign_in(page, cast.township_head)
    with page.expect_navigation():
        page.locator("#lang").click()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#sign-out")).to_have_text("Sign out")
    expect(page.locator("#lang")).to_have_text("中文")
    statuses = page.locator("#f-status option").all_inner_texts()
    assert "shelved" in statuses and "挂账" not in statuses
    _open_incident(page, cast.elsewhere_a)
    expect(page.locator("#panel button[data-action=accept]")).to_have_text("accept")
    _shot(page, "english")
    page.locator("#panel-close").click()
    with page.expect_navigation():
        page.locator("#lang").click()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#sign-out")).to_have_text("退出登录")
    assert _script_errors(page) == [] and page.blocked == []
