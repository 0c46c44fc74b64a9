"""``gridgis bulletin``: the half-monthly bulletin of the sample district, as HTML and Excel."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from gridgis.bulletin.workbook import SHEETS
from gridgis.cli import app
from gridgis.dispatch import Dispatcher
from gridgis.store import SQLiteStore, store_path_for

runner = CliRunner()
PERIOD = ["--from", "2026-10-16", "--to", "2026-10-31"]
START, END = pd.Timestamp("2026-10-16"), pd.Timestamp("2026-11-01")


def bulletin(*args):
    return runner.invoke(app, ["bulletin", *map(str, args), "--quiet"])


def closure_by_hand(incidents: pd.DataFrame) -> float:
    """Closed / valid of the matters reported in the period, as of its end (pandas only)."""
    inside = incidents[(incidents["reported_at"] >= START) & (incidents["reported_at"] < END)]
    valid = inside[inside["status"] != "rejected"]
    closed = valid[(valid["status"] == "closed") & (valid["closed_at"] < END)]
    return len(closed) / len(valid)


def test_the_sample_bulletin_as_one_offline_page(small_gpkg, small_layers, tmp_path):
    out = tmp_path / "b.html"
    result = bulletin(small_gpkg, *PERIOD, "--out", out)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "2026年10月下半月" in page and "2026年10月上半月" in page  # the period before
    for heading in ("主要指标", "四个平台处置情况", "乡镇(街道)排名", "社区(村)排名",
                    "承办单位排名", "网格员排名", "部门吹哨报到情况", "96.5%"):
        assert heading in page, heading
    assert "存档图层" in page and "存档图层" in result.stderr  # it says where the data came from
    assert f"{closure_by_hand(small_layers.incidents):.1%}" in page
    assert page.count("<svg") >= 3
    # offline: nothing is fetched (the SVG namespaces are names, not links)
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(http" not in page and "@import" not in page
    assert "办结率" in result.stdout  # the figures on standard output too


def test_the_sample_bulletin_as_a_workbook(small_gpkg, small_layers, tmp_path):
    weights = tmp_path / "w.csv"
    weights.write_text("measure,weight,direction\noverdue_rate,1,lower\n", encoding="utf-8")
    result = bulletin(small_gpkg, *PERIOD, "-o", tmp_path / "b", "--format", "xlsx",
                      "--weights", weights)
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "b.xlsx")
    assert book.sheetnames == list(SHEETS)
    towns = book["乡镇排名"]
    assert towns.max_row == 1 + len(small_layers.townships)
    assert [c.value for c in book["评分权重"][2]] == ["overdue_rate", "超期率", 1, "lower"]
    figures = {row[0]: row for row in book["主要指标"].iter_rows(min_row=5, values_only=True)}
    assert figures["closure_rate"][2] == pytest.approx(closure_by_hand(small_layers.incidents))
    assert figures["closure_rate"][5] == pytest.approx(0.965)  # Zhongshan's, beside it


def test_the_store_beside_the_file_comes_first(small_gpkg, small_layers, tmp_path):
    district = tmp_path / "d.gpkg"
    shutil.copy(small_gpkg, district)
    store = SQLiteStore(store_path_for(district))
    at = dt.datetime(2026, 10, 20, 9)
    d = Dispatcher(small_layers, store, clock=lambda: at + dt.timedelta(days=3))
    p = small_layers.grids.geometry.iloc[2].representative_point()
    unit, called = small_layers.units["unit_id"].iloc[:2]
    inc, _ = d.report(lon=p.x, lat=p.y, category="D04", description="拖欠工资", reported_at=at)
    for action, hours, kw in (("accept", 1, {"role": "community"}),
                              ("whistle", 2, {"role": "community", "unit_ids": [called],
                                              "note": "请劳动监察到场"}),
                              ("report_in", 3, {"role": "unit", "unit_id": called,
                                                "place": "社区调解室", "staff": "张三"}),
                              ("dispatch", 4, {"role": "community", "unit_id": unit})):
        d.transition(inc["incident_id"], action=action, actor="t", at=at + dt.timedelta(
            hours=hours), **kw)
    store.close()
    result = bulletin(district, *PERIOD, "-o", tmp_path / "s.html")
    assert result.exit_code == 0, result.output
    assert "事件库 d.incidents.sqlite（1 件）" in result.stderr
    page = (tmp_path / "s.html").read_text(encoding="utf-8")
    names = dict(zip(small_layers.units["unit_id"], small_layers.units["name"], strict=True))
    section = page.split("部门吹哨报到情况")[1]
    assert names[called] in section and "100.0%" in section  # reported in after an hour
    assert "1.0" in section
    # a period the store does not cover: the archive answers
    result = bulletin(district, "--from", "2026-10-01", "--to", "2026-10-15", "-o",
                      tmp_path / "a.html")
    assert result.exit_code == 0 and "存档图层" in result.stderr


@pytest.mark.parametrize(("args", "words"), [
    (["--from", "2026-10-16", "--to", "2026-10-01"], "结束日期 2026-10-01 早于开始日期"),
    (["--from", "2026-16-10", "--to", "2026-10-31"], "不是日期"),
    (["--from", "2020-01-01", "--to", "2026-10-31"], "最长 366 天"),
    (["--from", "2030-01-01", "--to", "2030-01-15"], "期间没有上报的事件"),
    ([*PERIOD, "--out", "x.html", "--format", "xlsx"], "不一致"),
    ([*PERIOD, "--format", "pdf"], "html 或 xlsx"),
])
def test_bad_input_is_one_clear_line_in_chinese_first(small_gpkg, args, words):
    result = bulletin(small_gpkg, *args)
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("错误 / error: ") and "\n" not in line
    assert "Traceback" not in result.output
    message = line.removeprefix("错误 / error: ")
    assert words in message and message.index(words) < message.index(" / ")
