"""The assignment benchmark runs end to end at a small size (no timing asserted)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_assign.py"


def test_benchmark_prints_its_curve_and_agrees():
    r = subprocess.run([sys.executable, str(BENCH), "--quick"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for line in ("points: 80% drawn inside the layer", "ratio assign / sjoin:",
                 "two threads / one:", "peak extra memory:", "B/vertex", "load (mapped):",
                 "locate latency: p50", "index build:", "nearest unit:", "small batches"):
        assert line in out, line
    assert "MISMATCH" not in out
    assert "agreement with sjoin on every compared point, every job, every round: True" in out


def test_the_comparison_finds_a_wrong_grid_and_excepts_only_boundaries(tmp_path):
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("bench_assign", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    inside, boundary, snapped, outside = (bench.MATCHES.index(m) for m in
                                          ("inside", "boundary", "snapped", "outside"))
    np.save(tmp_path / "sjoin.rows.npy", np.array([3, 4, -1, -1, 7]))
    np.save(tmp_path / "sjoin.match.npy", np.zeros(5, np.int8))
    np.save(tmp_path / "a.rows.npy", np.array([3, 5, 2, -1, 8]))
    np.save(tmp_path / "a.match.npy", np.array([inside, boundary, snapped, outside, inside],
                                               np.int8))
    compared, differ, excepted = bench._compare(tmp_path, "a")
    assert (compared, differ, excepted) == (4, 1, 1)  # the last point: another grid
