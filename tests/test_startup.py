"""Start-up: ``import gridgis`` and ``gridgis --help`` load no heavy library."""

import importlib.metadata
import json
import os
import subprocess
import sys

import pytest

import gridgis

HEAVY = {"esda", "libpysal", "sklearn", "spopt", "numba", "fastapi"}
GIS = HEAVY | {"geopandas", "pandas", "shapely", "pyproj", "scipy", "api", "uvicorn"}


def _loaded_after(code: str, watch: set[str]) -> list[str]:
    """Run ``code`` in a fresh interpreter; the packages of ``watch`` it loaded."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}}"
             f" & set({sorted(watch)!r}))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_gridgis_loads_no_heavy_library():
    assert _loaded_after("import gridgis", HEAVY) == []


def test_help_loads_no_gis_library():
    code = ("from gridgis.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass")
    assert _loaded_after(code, GIS) == []


def test_analysis_and_planning_load_pysal_only_when_used():
    assert _loaded_after("import gridgis.analysis, gridgis.planning",
                         {"esda", "libpysal", "sklearn", "spopt"}) == []


def test_import_leaves_the_environment_alone():
    code = "import os, gridgis\nprint(os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.stdout.strip() == "None", result.stderr


@pytest.mark.parametrize("name", gridgis.__all__)
def test_every_public_name_resolves_and_is_listed(name):
    assert getattr(gridgis, name) is not None
    assert name in dir(gridgis)


def test_lazy_names_are_the_defining_modules_objects():
    from gridgis.analysis.hotspots import hotspots
    from gridgis.index.grid import GridIndex
    from gridgis.planning.validate import validate

    assert gridgis.GridIndex is GridIndex
    assert gridgis.validate is validate
    assert gridgis.planning.validate is validate  # the function, not the module
    assert gridgis.analysis.hotspots is hotspots


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        gridgis.nothing_here  # noqa: B018
    assert not hasattr(gridgis, "nothing_here")


def test_version_comes_from_the_package_metadata():
    assert gridgis.__version__ == importlib.metadata.version("gridgis")
