"""The similar-case search benchmark runs end to end at a small size (no timing asserted)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_mediation_search.py"


def test_benchmark_prints_latency_quality_and_ratios():
    r = subprocess.run([sys.executable, str(BENCH), "--cases", "800", "--repeat", "1"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for line in ("gridgis (jieba + bm25s)", "sqlite fts5 bm25()", "substring (str.contains)",
                 "p50_ms", "p99_ms", "ndcg@10", "RATIO p50 sqlite fts5 bm25()/gridgis"):
        assert line in out, out
