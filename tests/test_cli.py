import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gridgis.cli import app

runner = CliRunner()


def test_sample_writes_a_district_and_prints_its_summary(tmp_path):
    out = tmp_path / "d.gpkg"
    result = runner.invoke(app, ["sample", str(out), "--scale", "0.05", "--quiet"])
    assert result.exit_code == 0, result.output
    assert out.exists()
    assert "townships" in result.stdout and "total" in result.stdout
    roster = tmp_path / "d.roster.csv"  # the district's staff, beside it, for Excel
    assert roster.read_bytes().startswith("\ufeff工号,姓名,角色".encode())
    assert "d.roster.csv" in result.stderr


def test_info_lists_each_layer(small_gpkg):
    result = runner.invoke(app, ["info", str(small_gpkg), "--summary"])
    assert result.exit_code == 0, result.output
    for name in ("townships", "communities", "grids", "patrol_zones", "buildings", "units",
                 "incidents", "roads", "EPSG:4326", "households_per_grid"):
        assert name in result.stdout


@pytest.mark.parametrize("command", ["sample", "info", "schema"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def _run(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "gridgis", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_missing_file_is_one_clear_line(tmp_path):
    result = _run("info", str(tmp_path / "nope.gpkg"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such file" in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    result = _run("info", str(bad))
    assert result.returncode == 2
    assert "cannot be opened as a GeoPackage" in result.stderr
    assert "Traceback" not in result.stderr


def test_sample_refuses_other_formats(tmp_path):
    result = _run("sample", str(tmp_path / "d.shp"))
    assert result.returncode == 2
    assert "must be a GeoPackage" in result.stderr


def test_bad_option_exits_2():
    result = _run("sample", "x.gpkg", "--scale", "-3")
    assert result.returncode == 2


def test_schema_prints_the_layer_docs():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert "## incidents" in result.stdout


def test_compile_readies_the_kernels_and_says_whether_it_compiled():
    first = _run("compile", timeout=1800)  # compiles, or loads what make's set-up compiled
    assert first.returncode == 0, first.stderr
    second = _run("compile")
    assert second.returncode == 0, second.stderr
    assert "loaded from the cache" in second.stderr  # the first run left them cached
    assert "compiling" not in second.stderr
