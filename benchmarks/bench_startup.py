"""Start-up: what a user waits for before the first answer, each in a fresh process.

Prints, measured in one run (min and median of several runs each):

- ``python -c "import gridgis"`` against ``python -c "import geopandas"`` (and an
  empty interpreter for reference), taking turns, with their ratio;
- ``gridgis --help``;
- the first ``gridgis assign`` of a small point set on the sample district in a
  fresh install: an empty numba cache (``NUMBA_CACHE_DIR`` a new folder) and no
  index cache beside the district, so the kernels compile and the index is built;
  then the same command again (warm: both caches filled by the first);
- ``gridgis serve DISTRICT`` with a valid index cache and warm kernels: the time
  from starting the process to the first ``200`` of ``GET /locate`` (after one
  serve, also shown, that writes the index cache and compiles the locate kernels).

Every command runs this checkout's code (its root is put first on PYTHONPATH)
through the ``gridgis`` console script beside the interpreter, or
``python -m gridgis`` when there is none.

    python benchmarks/bench_startup.py [--runs 5] [--cold-runs 2] [--points 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVE_TIMEOUT_S = 600.0


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _gridgis() -> list[str]:
    script = Path(sys.executable).parent / "gridgis"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gridgis"]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return took


def _row(name: str, times: list[float]) -> str:
    return (f"  {name:<44} {min(times):8.2f} s {statistics.median(times):8.2f} s"
            f"   ({len(times)} run{'s' if len(times) > 1 else ''})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_once(district: Path, store: Path, query: str, env: dict[str, str]) -> float:
    """Seconds from starting ``gridgis serve`` to its first 200 on ``query``."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}{query}"
    started = time.perf_counter()
    proc = subprocess.Popen([*_gridgis(), "serve", str(district), "--port", str(port),
                             "--store", str(store)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gridgis serve exited:\n{proc.stderr.read()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.perf_counter() - started > SERVE_TIMEOUT_S:
                raise SystemExit(f"gridgis serve gave no answer within {SERVE_TIMEOUT_S:.0f} s")
            time.sleep(0.02)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each warm measurement")
    parser.add_argument("--cold-runs", type=int, default=2,
                        help="runs of the first assign (each compiles the kernels)")
    parser.add_argument("--points", type=int, default=1000, help="points to assign")
    parser.add_argument("--scale", type=float, default=1.0, help="sample district scale")
    args = parser.parse_args()
    python = sys.executable
    gridgis = _gridgis()
    env = _env()

    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        work = Path(tmp)
        district = work / "district.gpkg"
        subprocess.run([*gridgis, "sample", str(district), "--scale", str(args.scale), "-q"],
                       env=env, check=True, capture_output=True)
        points, query = _points(district, args.points, work / "points.csv", env)

        print(f"bench_startup: {python} ({sys.version.split()[0]}), {os.cpu_count()} cores, "
              f"sample district scale {args.scale}, {args.points} points")
        print(f"  {'':<44} {'min':>10} {'median':>10}")

        imports: dict[str, list[float]] = {"pass": [], "geopandas": [], "gridgis": []}
        for _ in range(args.runs):
            for module in imports:
                code = "pass" if module == "pass" else f"import {module}"
                imports[module].append(_timed([python, "-c", code], env))
        print(_row("python -c pass (interpreter alone)", imports["pass"]))
        print(_row("python -c 'import geopandas'", imports["geopandas"]))
        print(_row("python -c 'import gridgis'", imports["gridgis"]))
        ratio = statistics.median(imports["gridgis"]) / statistics.median(imports["geopandas"])
        print(f"  import gridgis / import geopandas (medians): {ratio:.2f}")

        help_times = [_timed([*gridgis, "--help"], env) for _ in range(args.runs)]
        print(_row("gridgis --help", help_times))

        cold, warm = [], []
        numba_cache = work / "numba-cache"
        for i in range(args.cold_runs):
            numba_cache = work / f"numba-cache-{i}"
            numba_cache.mkdir()
            fresh = work / f"fresh-{i}"
            fresh.mkdir()
            shutil.copy(district, fresh / district.name)
            run_env = _env(NUMBA_CACHE_DIR=str(numba_cache))
            cmd = [*gridgis, "assign", str(points), str(fresh / district.name),
                   "-o", str(fresh / "assigned.csv"), "-q"]
            cold.append(_timed(cmd, run_env))
            warm.append(_timed(cmd, run_env))
        print(_row("first assign, empty numba + index caches", cold))
        print(_row("second assign, same caches (warm)", warm))

        # the first serve writes the index cache and compiles the kernels of a single
        # locate (assign uses others); the measured ones start with both caches valid
        serve_env = _env(NUMBA_CACHE_DIR=str(numba_cache))
        first = _serve_once(district, work / "served-first.sqlite", query, serve_env)
        print(_row("gridgis serve → first 200, first time", [first]))
        serve_times = [_serve_once(district, work / f"served-{i}.sqlite", query, serve_env)
                       for i in range(args.runs)]
        print(_row("gridgis serve → first 200 of /locate (warm)", serve_times))


def _points(district: Path, n: int, out: Path, env: dict[str, str]) -> tuple[Path, str]:
    """Write ``n`` random points over the district as CSV; a /locate query inside a grid."""
    code = f"""
import numpy as np
import gridgis
grids = gridgis.read_layers({str(district)!r}).grids
minx, miny, maxx, maxy = grids.total_bounds
rng = np.random.default_rng(2026)
xy = np.column_stack([rng.uniform(minx, maxx, {n}), rng.uniform(miny, maxy, {n})])
np.savetxt({str(out)!r}, xy, delimiter=",", header="lon,lat", comments="", fmt="%.7f")
p = grids.geometry.iloc[0].representative_point()
print(f"/locate?lon={{p.x:.7f}}&lat={{p.y:.7f}}")
"""
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True)
    return out, result.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
