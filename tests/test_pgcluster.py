"""A killed test run does not leave its PostgreSQL server behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pgcluster import MISSING, postgres_bin

ROOT = Path(__file__).resolve().parents[1]
START = """
import sys
from tests.pgcluster import Cluster, postgres_bin
cluster = Cluster(postgres_bin())
print(cluster.root, cluster.data, flush=True)
sys.stdin.read()  # killed here
"""


def _postmaster_alive(data: Path) -> bool:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().splitlines()[0]), 0)
    except (ProcessLookupError, ValueError, IndexError):
        return False
    return True


def _wait_until(condition, limit: float = 180.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_the_server_of_a_killed_run_stops_and_its_folder_goes():
    if postgres_bin() is None:
        pytest.skip(MISSING)
    with subprocess.Popen([sys.executable, "-c", START], cwd=ROOT, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as run:
        try:
            root, data = map(Path, run.stdout.readline().split())
            assert _postmaster_alive(data)
            run.send_signal(signal.SIGKILL)  # no teardown runs
            run.wait()
        finally:
            if run.poll() is None:
                run.kill()
    assert _wait_until(lambda: not _postmaster_alive(data)), "server still running"
    assert _wait_until(lambda: not root.exists()), f"{root} left behind"
