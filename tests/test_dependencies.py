"""Dependencies declared = dependencies imported, and the imports keep the house's layout.

Every third-party import of gridgis/ and api/ (read with ast, imports inside
functions included) must come from a distribution pyproject.toml declares in the
right group: the library's own dependencies for gridgis/, those plus the ``api``
extra for api/ and for the ``serve`` command; and every dependency declared
there must be imported somewhere, except the few named below with the reason.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"gridgis", "api"}
SERVE = "gridgis/cli/serve.py"
POSTGIS = ("gridgis/store/postgis.py", "gridgis/store/migrations/")  # the ``postgis`` extra
DASK = ("gridgis/parallel/",)  # the ``dask`` extra
NOT_IMPORTED = {"python-multipart": "FastAPI parses the sign-in form (OAuth2 password flow) "
                                    "through it"}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {_normalize(re.match(r"[A-Za-z0-9_.-]+", r).group()) for r in requirements}

    return {"core": names(project["dependencies"]),
            "api": names(project["optional-dependencies"]["api"]),
            "postgis": names(project["optional-dependencies"]["postgis"]),
            "dask": names(project["optional-dependencies"]["dask"])}


def _imports() -> dict[str, set[str]]:
    """Top-level name of every absolute import → the files (relative paths) importing it."""
    found: dict[str, set[str]] = defaultdict(set)
    for folder in FIRST_PARTY:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    found[module].add(path.relative_to(ROOT).as_posix())
    return found


def _third_party() -> dict[str, set[str]]:
    by_top: dict[str, set[str]] = defaultdict(set)
    for module, files in _imports().items():
        top = module.split(".")[0]
        if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
            by_top[top] |= files
    return by_top


def test_every_import_is_declared_in_its_group():
    declared = _declared()
    distributions = importlib.metadata.packages_distributions()
    wrong = []
    for top, files in sorted(_third_party().items()):
        provided = {_normalize(d) for d in distributions.get(top, [])}
        assert provided, f"{top} (imported by {sorted(files)}) is not installed"
        for file in sorted(files):
            allowed = declared["core"] | (declared["api"] if file.startswith("api/")
                                          or file == SERVE else set())
            allowed |= declared["postgis"] if file.startswith(POSTGIS) else set()
            allowed |= declared["dask"] if file.startswith(DASK) else set()
            if not provided & allowed:
                wrong.append(f"{file} imports {top} ({', '.join(sorted(provided))})")
    assert not wrong, "imports not declared in pyproject.toml:\n" + "\n".join(wrong)


def test_every_declared_dependency_is_imported():
    distributions = importlib.metadata.packages_distributions()
    imported = {_normalize(d) for top in _third_party() for d in distributions.get(top, [])}
    declared = _declared()
    every = declared["core"] | declared["api"] | declared["postgis"] | declared["dask"]
    unused = every - imported - set(NOT_IMPORTED)
    assert not unused, f"declared but never imported: {sorted(unused)}"
    for name in NOT_IMPORTED:
        assert name in every and name not in imported, name


def test_only_the_serve_command_imports_the_api():
    users = {file for module, files in _imports().items() if module.split(".")[0] == "api"
             for file in files if file.startswith("gridgis/")}
    assert users == {SERVE}


def test_no_private_name_is_imported_from_another_package():
    """``gridgis.a._b`` (or ``_name`` from ``gridgis.a``) only from inside ``gridgis.a``."""
    crossing = []
    for folder in FIRST_PARTY:
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            here = ".".join(parts[:-1])  # the package the file belongs to
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.ImportFrom | ast.Import):
                    continue
                if isinstance(node, ast.ImportFrom):
                    if node.level or not node.module:
                        continue
                    targets = [f"{node.module}.{a.name}" for a in node.names]
                else:
                    targets = [a.name for a in node.names]
                for target in targets:
                    names = target.split(".")
                    for i, name in enumerate(names):
                        if name.startswith("_") and not name.startswith("__"):
                            owner = ".".join(names[:i])
                            if owner.split(".")[0] in FIRST_PARTY and not (
                                    here == owner or here.startswith(owner + ".")):
                                crossing.append(f"{'/'.join(parts)}.py imports {target}")
                            break
    assert not crossing, "\n".join(crossing)
