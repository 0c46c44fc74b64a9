"""The travel-time benchmark runs end to end at a small size (no timing asserted)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_travel.py"


def test_benchmark_prints_its_ratios_and_every_route_agrees():
    r = subprocess.run([sys.executable, str(BENCH), "--scale", "0.1", "--osmnx-pairs", "3"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr  # the run fails when any route disagrees
    out = r.stdout
    for line in ("gridgis (csgraph)", "networkx", "igraph", "csgraph, all nodes",
                 "osmnx (per pair)", "RATIO gridgis/networkx"):
        assert line in out, out
    assert "reachable pairs:" in out
