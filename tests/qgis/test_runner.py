"""The plugin's runner without QGIS: finding gridgis, progress lines, one-line errors."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from qgis_plugin.gridgis_processing.runner import (
    GridgisRunError,
    candidates,
    error_line,
    find_gridgis,
    run_gridgis,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gridgis(tmp_path: Path) -> str:
    """This checkout's gridgis behind a wrapper script, as a planner's venv would hold it."""
    wrapper = tmp_path / "gridgis"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m gridgis '
                       '"$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


def test_the_configured_path_comes_first_then_the_environment(tmp_path, monkeypatch, gridgis):
    monkeypatch.setenv("GRIDGIS_EXECUTABLE", "/opt/elsewhere/gridgis")
    found = candidates(gridgis)
    assert found[:2] == [Path(gridgis), Path("/opt/elsewhere/gridgis")]
    assert Path.home() / ".local" / "bin" / "gridgis" in found
    assert ROOT / ".venv" / "bin" / "gridgis" in found  # the venv of the repository
    assert find_gridgis(gridgis) == gridgis
    plain = tmp_path / "plain"
    plain.write_text("not a program")
    with pytest.raises(GridgisRunError, match="设置的 gridgis 程序不存在或不可执行"):
        find_gridgis(str(plain))


def test_progress_lines_are_steps_and_other_lines_are_messages(tmp_path, gridgis):
    steps: list[tuple[float, str]] = []
    lines: list[str] = []
    done = run_gridgis(gridgis, ["sample", str(tmp_path / "s.gpkg"), "--scale", "0.02"],
                       on_progress=lambda share, step: steps.append((share, step)),
                       on_line=lines.append)
    shares = [share for share, _ in steps]
    assert shares == sorted(shares) and shares[0] == 0 and shares[-1] == 1
    assert "buildings" in [step for _, step in steps]
    assert any("wrote" in line for line in lines)
    assert not any(line.startswith('{"progress"') for line in lines)
    assert "Sample district" in done.stdout


def test_a_failure_is_its_one_line_message(tmp_path, gridgis):
    with pytest.raises(GridgisRunError) as caught:
        run_gridgis(gridgis, ["validate", str(tmp_path / "none.gpkg")])
    assert str(caught.value) == f"{tmp_path / 'none.gpkg'}: no such file"
    with pytest.raises(GridgisRunError, match="退出码 2"):
        run_gridgis(gridgis, ["validate", "--no-such-option"])


def test_cancelling_stops_the_command(tmp_path, gridgis):
    with pytest.raises(GridgisRunError, match="已取消"):
        run_gridgis(gridgis, ["sample", str(tmp_path / "c.gpkg")], is_cancelled=lambda: True)
    assert not (tmp_path / "c.gpkg").exists()


def test_error_line_without_the_mark_takes_the_last_useful_line():
    assert error_line(["Usage: gridgis validate", "│ No such option: --x │"], 2) == (
        "gridgis 运行失败（退出码 2）：No such option: --x")
    assert error_line([], 139) == "gridgis 运行失败（退出码 139）：exit code 139"


def test_the_plugin_zip_holds_the_folder_without_caches(tmp_path):
    import zipfile

    from qgis_plugin.package import package

    cache = ROOT / "qgis_plugin" / "gridgis_processing" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "stray.pyc").write_bytes(b"")
    try:
        names = zipfile.ZipFile(package(tmp_path / "p.zip")).namelist()
    finally:
        (cache / "stray.pyc").unlink()
    assert "gridgis_processing/metadata.txt" in names
    assert "gridgis_processing/__init__.py" in names
    assert not any("__pycache__" in n for n in names)
    metadata = (ROOT / "qgis_plugin" / "gridgis_processing" / "metadata.txt").read_text()
    assert "qgisMinimumVersion=3.22" in metadata and "hasProcessingProvider=yes" in metadata
