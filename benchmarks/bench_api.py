"""The HTTP service under load: gridgis serve with 1 and N workers against a bare FastAPI app.

Writes the sample district to a temporary GeoPackage, signs one county
dispatcher in, and loads each route with wrk (a compiled load generator, from
Debian's ``wrk`` package) at a fixed concurrency, after a short warm-up:

- ``GET /locate`` of points spread over the district, with and without ``category``;
- ``POST /incidents`` (each request a new report at its own point, in SQLite);
- ``GET /`` of a bare FastAPI app (one JSON answer, nothing else) served by the
  same uvicorn with the same workers: the framework's ceiling on this machine.

Prints requests/s, p50 and p99 latency of each, and each route's share of the
bare ceiling.

    python benchmarks/bench_api.py [--workers 2] [--connections 16] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-网格-2026"

BARE_APP = '''
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def root():
    return {"ok": True}
'''

LOCATE_LUA = '''
local points = {%s}
local n = 0
request = function()
  n = n + 1
  local p = points[(n %% #points) + 1]
  return wrk.format("GET", "/locate?lon=" .. p[1] .. "&lat=" .. p[2] .. "%s")
end
'''

REPORT_LUA = '''
local points = {%s}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local p = points[(n %% #points) + 1]
  local dx = (math.random() - 0.5) * 0.002
  local body = string.format(
    '{"lon": %%.6f, "lat": %%.6f, "category": "E02", "description": "压测上报 %%d"}',
    p[1] + dx, p[2] + dx, n)
  return wrk.format(nil, "/incidents", nil, body)
end
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, limit_s: float = 600.0) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server ended before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"no answer from {url} within {limit_s:.0f} s") from None
            time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wrk(url: str, *, seconds: int, connections: int, script: Path | None = None,
         headers: dict[str, str] | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        lat[pct] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rate": rate, "p50": lat["50"], "p99": lat["99"],
            "non2xx": int(bad.group(1)) if bad else 0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT))
    from gridgis.layers import write_layers
    from gridgis.people import StaffMember
    from gridgis.people.passwords import hash_password
    from gridgis.sample import sample_district
    from gridgis.store import SQLiteStore

    work = Path(tempfile.mkdtemp(prefix="gridgis-bench-api-"))
    layers = sample_district(scale=args.scale)
    gpkg = write_layers(layers, work / "district.gpkg")
    pts = layers.grids.geometry.representative_point()
    points = ", ".join(f"{{{p.x:.6f}, {p.y:.6f}}}" for p in pts.iloc[::3])
    county = layers.townships["code"].iloc[0][:6]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    (work / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    scripts = {}
    for name, text in (("locate", LOCATE_LUA % (points, "")),
                       ("locate_category", LOCATE_LUA % (points, "&category=E02")),
                       ("report", REPORT_LUA % points)):
        scripts[name] = work / f"{name}.lua"
        scripts[name].write_text(text, encoding="utf-8")

    rows = []
    for workers in sorted({1, args.workers}):
        store_path = work / f"store-{workers}.sqlite"
        store = SQLiteStore(store_path)
        person = StaffMember(f"qx{county}", "县指挥中心压测", "command_centre", county)
        store.staff.save(person, password_hash=hash_password(PASSWORD))
        store.close()
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "gridgis", "serve", str(gpkg),
                                 "--store", str(store_path), "--port", str(port),
                                 "--workers", str(workers)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(f"{base}/conformance", proc)
            form = urllib.parse.urlencode({"username": person.staff_id,
                                           "password": PASSWORD}).encode()
            with urllib.request.urlopen(urllib.request.Request(f"{base}/auth/token",
                                                               data=form), timeout=60) as r:
                token = json.loads(r.read())["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            for name in ("locate", "locate_category", "report"):
                _wrk(base, seconds=2, connections=args.connections, script=scripts[name],
                     headers=auth)  # warm-up: kernels, caches, every worker
                got = _wrk(base, seconds=args.seconds, connections=args.connections,
                           script=scripts[name], headers=auth)
                rows.append((workers, name, got))
        finally:
            _stop(proc)
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port",
                                 str(port), "--workers", str(workers), "--log-level", "warning"],
                                cwd=work, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            _wait(f"http://127.0.0.1:{port}/", proc)
            _wrk(f"http://127.0.0.1:{port}/", seconds=2, connections=args.connections)
            rows.append((workers, "bare", _wrk(f"http://127.0.0.1:{port}/",
                                               seconds=args.seconds,
                                               connections=args.connections)))
        finally:
            _stop(proc)
    shutil.rmtree(work, ignore_errors=True)

    labels = {"locate": "GET /locate", "locate_category": "GET /locate?category=E02",
              "report": "POST /incidents", "bare": "bare FastAPI GET /"}
    print(f"wrk: 2 threads, {args.connections} connections, {args.seconds} s per route")
    print(f"{'workers':>7}  {'route':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'of bare':>8} {'non-2xx':>8}")
    bare = {w: r["rate"] for w, name, r in rows if name == "bare"}
    failed = False
    for workers, name, r in rows:
        share = r["rate"] / bare[workers]
        print(f"{workers:>7}  {labels[name]:<26} {r['rate']:>9,.0f} {r['p50']:>8.2f} "
              f"{r['p99']:>8.2f} {share:>8.2f} {r['non2xx']:>8}")
        failed |= r["non2xx"] > 0
    if failed:
        print("some answers were not 2xx", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
