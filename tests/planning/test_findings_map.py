"""The validation map: zoomed to the findings, titled, Chinese labels, a legend per severity."""

from __future__ import annotations

import json
import re

import shapely

from gridgis.planning.validate import validate
from tests.planning import broken_layers


def has(page: str, text: str) -> bool:
    """Whether the page holds ``text``, as is or JSON-escaped (legends and tooltips)."""
    return text in page or json.dumps(text)[1:-1] in page


def test_the_map_opens_on_the_findings(small_layers, tmp_path):
    broken, code = broken_layers.households_range(small_layers)
    assert code in set(broken.grids["code"])
    broken, _ = broken_layers.invalid_geometry(broken, code=broken.grids.index[-1])
    report = validate(broken)
    page = report.map(tmp_path / "findings.html").read_text(encoding="utf-8")
    assert "网格方案校验：1 个错误，1 个警告" in page
    assert has(page, "错误 error（1）") and has(page, "警告 warning（1）")  # the legend
    assert has(page, "规则 rule") and has(page, "量 measure")  # hover labels with the figures
    assert "households" in page and "m2" in page
    miny, minx, maxy, maxx = map(float, re.search(
        r"map_\w+\.fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]",
        page).groups())
    district = small_layers.townships.total_bounds
    assert (maxx - minx) < (district[2] - district[0])  # zoomed in, not the whole district
    for x, y in shapely.get_coordinates(shapely.centroid(report.findings.geometry.to_numpy())):
        assert minx <= x <= maxx and miny <= y <= maxy
    clean = validate(small_layers).map(tmp_path / "clean.html").read_text(encoding="utf-8")
    assert "无错误" in clean and has(clean, "无问题 none")


def test_the_diff_map_shows_figures_on_hover_and_only_drawn_entries(small_layers, tmp_path):
    from tests.planning.test_diff import redraw as build

    plan = build.__wrapped__(small_layers).plan
    from gridgis.planning.diff import STATUS_ZH, diff_plans

    result = diff_plans(small_layers, plan, as_of="2026-06-30")
    page = result.map(tmp_path / "diff.html").read_text(encoding="utf-8")
    assert "网格调整对比" in page and has(page, "新户数 hh new")
    assert '"type": "LineString"' in page or '"type": "MultiLineString"' in page  # old: lines
    shown = result.grids[result.grids["status"] != "removed"]["status"]
    for status, label in STATUS_ZH.items():
        drawn = status in set(shown)
        assert has(page, f"{label} {status}（") == drawn, status
