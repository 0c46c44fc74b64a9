"""The assignment benchmark runs end to end at a small size (no timing asserted)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_assign.py"


def test_benchmark_prints_its_ratios_and_agrees():
    r = subprocess.run([sys.executable, str(BENCH), "--grids", "1500", "--points", "30000",
                        "--locate-samples", "2000", "--nearest-points", "20000"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for line in ("ratio assign / sjoin:", "peak extra memory:", "locate latency: p50",
                 "index build:", "nearest unit:"):
        assert line in out
    assert "agreement on every point not on a boundary: True" in out
