"""The gridgis Processing provider in Debian's QGIS, headless (``make qgis`` installs QGIS).

QGIS's Python cannot import the project's packages (nor the project's Python
QGIS), so ``run_in_qgis.py`` runs in ``/usr/bin/python3`` and drives every
algorithm through the ``gridgis`` command line of this checkout; the JSON it
prints is checked here.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest

from gridgis import sample_district, write_layers
from qgis_plugin.package import package
from tests.planning.broken_layers import overlap

ROOT = Path(__file__).resolve().parents[2]
QGIS_PYTHON = "/usr/bin/python3"
SCREENSHOT = ROOT / "artifacts" / "qgis_plan.png"
RUN_LIMIT_S = 1800  # a bound on a hung QGIS, not a timing assertion


def _qgis_missing() -> str | None:
    if not Path(QGIS_PYTHON).is_file():
        return f"{QGIS_PYTHON} not found"
    probe = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True,
                           text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    if probe.returncode:
        return "QGIS's Python bindings are not installed (make qgis installs them)"
    return None


pytestmark = pytest.mark.skipif(_qgis_missing() is not None,
                                reason=str(_qgis_missing()))

MAPPING = """\
district_code = "{district}"
[layers.townships]
file = "townships.gpkg"
crs = "wgs84"
columns = {{ code = "code", name = "name", district_code = "district_code" }}
[layers.communities]
file = "communities.gpkg"
crs = "wgs84"
columns = {{ code = "code", name = "name", township_code = "township_code", kind = "kind" }}
[layers.grids]
file = "网格.gpkg"
crs = "wgs84"
columns = {{ code = "编码", name = "名称", community_code = "社区", households = "户数", \
population = "人口", workers = "人员" }}
"""


def _inputs(work: Path) -> dict:
    """The broken plan, a mapping to import, a file that is no GeoPackage, the wrapper."""
    layers = sample_district(scale=0.05, seed=7)  # what the plugin's sample run writes
    broken, codes = overlap(layers)
    write_layers(broken, work / "broken.gpkg", strict=False)
    vendor = work / "vendor"
    vendor.mkdir()
    for name in ("townships", "communities"):
        getattr(layers, name).reset_index(drop=True).to_file(vendor / f"{name}.gpkg",
                                                             engine="pyogrio")
    g = layers.grids.reset_index(drop=True)
    gpd.GeoDataFrame({"编码": g["code"], "名称": g["name"], "社区": g["community_code"],
                      "户数": g["households"], "人口": g["population"], "人员": g["workers"]},
                     geometry=g.geometry, crs=g.crs).to_file(vendor / "网格.gpkg",
                                                             engine="pyogrio")
    district = str(layers.townships["district_code"].iloc[0])
    (vendor / "mapping.toml").write_text(MAPPING.format(district=district), encoding="utf-8")
    (work / "notes.gpkg").write_text("这不是 GeoPackage", encoding="utf-8")
    urban = layers.communities[layers.communities["kind"] == "urban"]["code"]
    per = layers.buildings.assign(community=layers.buildings["grid_code"].str[:12])
    community = per[per["community"].isin(urban)].groupby("community")["households"].sum()
    # the gridgis of this checkout, named by the provider setting (a configured path)
    wrapper = work / "gridgis"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m gridgis '
                       '"$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    plugins = work / "plugins"  # the zip of make qgis-plugin, unpacked as QGIS installs it
    with zipfile.ZipFile(package(work / "gridgis_processing.zip")) as archive:
        archive.extractall(plugins)
    return {"broken": str(work / "broken.gpkg"), "planted": codes.split(","),
            "mapping": str(vendor / "mapping.toml"), "not_a_gpkg": str(work / "notes.gpkg"),
            "community": str(community.idxmax()), "executable": str(wrapper),
            "plugin_parent": str(plugins), "work": str(work),
            "screenshot": str(SCREENSHOT)}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("qgis")
    config = _inputs(work)
    (work / "config.json").write_text(json.dumps(config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME",
                                                            "VIRTUAL_ENV")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(work / "home"),
                "XDG_RUNTIME_DIR": str(work / "run")})
    (work / "run").mkdir(mode=0o700)
    done = subprocess.run([QGIS_PYTHON, str(Path(__file__).with_name("run_in_qgis.py")),
                           str(work / "config.json")], capture_output=True, text=True,
                          env=env, timeout=RUN_LIMIT_S, cwd=work)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["config"] = config
    shutil.rmtree(work / "home", ignore_errors=True)
    return result


def test_the_provider_lists_every_command_with_chinese_names(report):
    algorithms = report["algorithms"]
    assert set(algorithms) == {f"gridgis:{c}" for c in (
        "validate", "repair", "partition", "diff", "adopt", "import", "sample")}
    assert algorithms["gridgis:validate"].startswith("校验网格方案")
    assert report["qgis"].startswith("3.")


def test_sample_is_loaded_styled_with_progress(report):
    run = report["sample"]
    assert run["ok"], run["errors"]
    layers = run["layers"]
    assert layers["网格 grids"]["renderer"] == "categorizedSymbol"
    assert layers["网格 grids"]["labels"]
    assert layers["巡查区 patrol zones"]["categories"][0].startswith("高频")
    assert [r[:2] for r in layers["事件 incidents"]["rules"]] == ["已结", "红灯", "黄灯", "绿灯"]
    assert run["order"] == ["事件 incidents", "责任单位 units", "乡镇/街道 townships",
                            "社区/村 communities", "网格 grids", "巡查区 patrol zones"]
    steps = [p for p in run["progress"] if 0 < p < 100]
    assert len(steps) >= 5 and steps == sorted(steps)  # the command's own steps, in order
    assert run["progress"][-1] == 100


def test_validate_finds_the_planted_overlap_and_nothing_on_the_sample(report):
    clean = report["validate_clean"]
    assert clean["ok"] and clean["results"]["ERRORS"] == 0
    assert clean["layers"] == {} and clean["results"]["FINDINGS"] is None
    broken = report["validate_broken"]
    assert broken["ok"], broken["errors"]  # a plan with errors is a result, not a failure
    assert broken["results"]["ERRORS"] >= 1
    overlaps = [f for f in report["broken_findings"] if f["rule"] == "overlap"]
    planted = set(report["config"]["planted"])
    assert any(set(f["codes"].split(",")) == planted and f["severity"] == "error"
               for f in overlaps)
    styled = broken["layers"]["校验问题 findings"]
    assert styled["renderer"] == "categorizedSymbol"
    assert "错误 · 网格重叠 overlap" in styled["categories"]


def test_repair_clears_the_overlap(report):
    run = report["repair"]
    assert run["ok"], run["errors"]
    assert run["results"]["ERRORS_LEFT"] == 0
    assert report["validate_repaired"]["results"]["ERRORS"] == 0
    assert "修复 网格 grids" in run["layers"]


def test_partition_of_the_picked_community_and_its_diff(report):
    community = report["config"]["community"]
    run = report["partition"]
    assert run["ok"], run["errors"]
    assert run["results"]["COMMUNITY_CODES"] == community
    assert run["layers"]["新方案 网格 grids"]["renderer"] == "categorizedSymbol"
    diff = report["diff"]
    assert diff["ok"], diff["errors"]
    changed = report["diff_changed"]
    assert changed and diff["results"]["CHANGED"] == len(changed)
    assert {c["community_code"] for c in changed} == {community}
    assert diff["results"]["MOVED_BUILDINGS"] > 0
    summary = diff["results"]["SUMMARY"]
    assert summary.startswith(f"变化网格 {len(changed)} 个，变动楼栋 "
                              f"{diff['results']['MOVED_BUILDINGS']} 栋")
    assert "change grid" in summary  # gridgis diff's own sentences follow
    assert diff["layers"]["网格变化 grid changes"]["renderer"] == "categorizedSymbol"
    assert diff["order"] == ["变动事件 moved incidents", "变动楼栋 moved buildings",
                             "原网格边界 old boundaries", "网格变化 grid changes"]
    assert diff["layers"]["变动楼栋 moved buildings"]["features"] == \
        diff["results"]["MOVED_BUILDINGS"]


def test_adopt_keeps_the_old_grids_as_history(report):
    run = report["adopt"]
    assert run["ok"], run["errors"]
    history = run["layers"]["网格历史版本 grid history"]
    assert 0 < history["features"] <= len(report["diff_changed"])


def test_import_by_mapping_gives_a_styled_district(report):
    run = report["import"]
    assert run["ok"], run["errors"]
    assert run["layers"]["网格 grids"]["renderer"] == "categorizedSymbol"
    assert run["layers"]["网格 grids"]["features"] > 0


def test_errors_are_one_line_processing_errors(report):
    for key, expected in (("partition_typo", "本区县没有社区 '330399999999'"),
                          ("not_a_gpkg", "notes.gpkg"),
                          ("no_executable", "设置的 gridgis 程序不存在")):
        run = report[key]
        assert not run["ok"]
        assert any(expected in e and "\n" not in e for e in run["errors"]), run["errors"]
        assert not any("Traceback" in e for e in run["errors"])


def test_screenshot_of_the_styled_plan(report):
    shot = report["screenshot"]
    assert Path(shot["path"]) == SCREENSHOT and SCREENSHOT.stat().st_size > 10_000
    assert shot["colours"] > 10  # categories, zones, labels: not a blank canvas
    assert shot["scale"] < 60_000  # close enough for the grid codes' labels
    assert shot["labels"].get("grids", 0) >= 3 and shot["labels"].get("townships", 0) >= 1
    # the sample's open incidents are drawn in each of the three lights
    assert all(shot["lights"][light] > 0 for light in ("red", "yellow", "green")), shot
