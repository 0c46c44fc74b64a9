"""The HTTP benchmark runs end to end at a small size (no timing asserted)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_api.py"


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by `make test`")
def test_benchmark_loads_every_route_with_no_error():
    r = subprocess.run([sys.executable, str(BENCH), "--scale", "0.1", "--seconds", "1",
                        "--warmup", "1", "--connections", "4"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr  # any non-2xx answer fails the run
    for route in ("GET /locate", "GET /locate?category=E02", "POST /incidents",
                  "bare FastAPI GET /"):
        assert route in r.stdout
    rows = [line.split() for line in r.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert {row[0] for row in rows} == {"1", "2"}  # one worker and two
