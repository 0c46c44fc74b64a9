"""Shared fixtures: the sample district, built once per test session."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridgis import Layers, sample_district, write_layers

# How long a test server may take to answer its first request: it builds the grid index
# and, on a fresh machine, compiles the kernels; a bound for a wait on a condition.
START_LIMIT_S = 600


@pytest.fixture(scope="session")
def sample_layers() -> Layers:
    """The full built-in sample district (generated in about two seconds)."""
    return sample_district()


@pytest.fixture(scope="session")
def small_layers() -> Layers:
    """A small sample district for tests that copy or edit layers."""
    return sample_district(scale=0.1, seed=7)


@pytest.fixture(scope="session")
def small_gpkg(small_layers: Layers, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small district written to a GeoPackage."""
    return write_layers(small_layers, tmp_path_factory.mktemp("district") / "small.gpkg")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(gpkg: Path, store: Path, log_path: Path, *extra: str,
            process: list | None = None) -> Iterator[str]:
    """Run ``gridgis serve`` on loopback in a child process; yield its base URL.

    ``extra`` are more command-line options; ``process`` (a list) receives the
    child process.
    """
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gridgis", "serve", str(gpkg), "--port", str(port),
             "--store", str(store), *extra], stdout=subprocess.DEVNULL, stderr=log)
        if process is not None:
            process.append(proc)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_LIMIT_S
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"server exited: {log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{base}/conformance", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"server did not start within {START_LIMIT_S} s") from None
                    time.sleep(0.3)
            yield base
        finally:
            stop_process(proc)


def stop_process(proc: subprocess.Popen) -> None:
    """End a server the test started: politely, then for good if it does not stop."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def county_headers(app) -> dict[str, str]:
    """Bearer headers of a county command-centre person added to ``app``'s store."""
    from gridgis.people import StaffMember

    dispatcher = app.state.dispatcher
    county = dispatcher.layers.townships["code"].iloc[0][:6]
    person = StaffMember(f"qx{county}", "县指挥中心", "command_centre", county)
    dispatcher.store.staff.save(person)
    return {"Authorization": f"Bearer {app.state.tokens.issue(person)}"}


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL server with PostGIS for the session (Debian's packages; `make postgres`)."""
    from tests.pgcluster import MISSING, Cluster, postgres_bin

    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip(MISSING)
    cluster = Cluster(bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgis(request, tmp_path):
    """The PostGIS backend alone: a fresh database on the session's server."""
    from tests.pgcluster import Backend

    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.new_database()
    yield Backend("postgis", url, tmp_path)
    cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgis"])
def backend(request, tmp_path):
    """Each store backend in turn: a SQLite file, then a fresh PostGIS database."""
    from tests.pgcluster import Backend

    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "district.incidents.sqlite"), tmp_path)
    return request.getfixturevalue("postgis")
