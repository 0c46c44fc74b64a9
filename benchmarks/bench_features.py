"""OGC API Features items: pages from indexes built once, against the full-layer re-filter.

Starts two servers on loopback (uvicorn in subprocesses, free ports) over the
full sample district (29,946 archived incidents) and one store file with the
county command centre signed in: the service as it is, and the same service
with the items routes as they were before issue 19 (benchmarks/_old_features.py:
every page re-filters the whole layer and writes its features row by row with
json). Both answer the same requests, one server at a time:

- pages of 1,000 and 10,000 incidents (time per page, best and median of
  ``--rounds``; the pages' feature ids must be the same on both servers);
- GDAL's OAPIF driver (pyogrio.read_dataframe("OAPIF:http://...")) reading
  the incidents in a bbox, as a desktop GIS would, with GDAL's own paging;
  the frames must hold the same ids.

Prints each figure and the ratio old / new. The run fails on a mismatch.

    python benchmarks/bench_features.py [--rounds 5] [--skip-old-gdal]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BBOX = (120.45, 27.85, 120.80, 28.10)  # the sample district's incidents, all but a few
START_LIMIT_S = 600


def _county():
    from gridgis.people import StaffMember

    return StaffMember("qx330399", "县指挥中心", "command_centre", "330399")


def _features_route(route: object) -> bool:
    """Whether a route (or a router included whole) serves /collections or /conformance."""
    inner = getattr(getattr(route, "original_router", None), "routes", None)
    paths = [getattr(r, "path", "") for r in inner] if inner is not None else [
        getattr(route, "path", "")]
    return any(p.startswith(("/collections", "/conformance")) for p in paths)


def serve(kind: str, port: int, store: str, secret: str) -> None:
    """Run one server (``kind`` new or old) until killed."""
    import uvicorn

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from api import create_app
    from api.settings import Settings

    app = create_app(Settings(store=store, secret_key=secret))
    if kind == "old":
        import _old_features

        old = _old_features.create_router(Settings(store=store, secret_key=secret,
                                                   items_limit_default=10))
        app.router.routes[:] = [r for r in app.router.routes if not _features_route(r)]
        app.include_router(old)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(kind: str, store: str, secret: str, log: Path) -> Iterator[str]:
    port = _free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port),
                                 "--store", store, "--secret", secret],
                                stdout=subprocess.DEVNULL, stderr=out,
                                env=os.environ | {"PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the {kind} server exited: {log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the {kind} server did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def get(url: str, token: str) -> tuple[float, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as r:
        data = r.read()
    seconds = time.perf_counter() - t
    return seconds, json.loads(data)


PAGES = [("1,000 incidents, first page", "limit=1000"),
         ("1,000 incidents, offset 20,000", "limit=1000&offset=20000"),
         ("1,000 incidents in a bbox", "limit=1000&bbox=120.60,27.95,120.70,28.05"),
         ("10,000 incidents, offset 10,000", "limit=10000&offset=10000")]


def time_pages(base: str, token: str, rounds: int) -> dict[str, tuple[float, float, list]]:
    out = {}
    for label, query in PAGES:
        url = f"{base}/collections/incidents/items?{query}"
        get(url, token)  # the first request builds what is kept (indexes, the frame's sindex)
        times, ids = [], None
        for _ in range(rounds):
            seconds, body = get(url, token)
            times.append(seconds)
            ids = [f["id"] for f in body["features"]]
        out[label] = (min(times), statistics.median(times), ids)
    return out


def gdal_read(base: str, headers: Path) -> tuple[float, list[str]]:
    import pyogrio

    pyogrio.set_gdal_config_options({"GDAL_HTTP_HEADER_FILE": str(headers)})
    t = time.perf_counter()
    frame = pyogrio.read_dataframe(f"OAPIF:{base}", layer="incidents", bbox=BBOX)
    seconds = time.perf_counter() - t
    column = "incident_id" if "incident_id" in frame.columns else frame.columns[0]
    return seconds, sorted(frame[column].astype(str))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip-old-gdal", action="store_true",
                    help="do not time GDAL against the old routes (minutes)")
    ap.add_argument("--serve", choices=["new", "old"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--secret", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.store, args.secret)
        return

    import pyogrio

    from api.auth import TokenIssuer
    from gridgis.store import SQLiteStore

    if "OAPIF" not in pyogrio.list_drivers():
        raise SystemExit("GDAL here has no OAPIF driver")
    with tempfile.TemporaryDirectory() as tmp:
        store_path = str(Path(tmp) / "incidents.sqlite")
        store = SQLiteStore(store_path)
        store.staff.save(_county())
        store.close()
        secret = secrets.token_hex(32)
        token = TokenIssuer(secret, minutes=600).issue(_county())
        headers = Path(tmp) / "headers.txt"  # GDAL signs in with the header in this file
        headers.write_text(f"Authorization: Bearer {token}\n")
        results = {}
        for kind in ("new", "old"):
            with server(kind, store_path, secret, Path(tmp) / f"{kind}.log") as base:
                pages = time_pages(base, token, args.rounds)
                gdal = None
                if kind == "new" or not args.skip_old_gdal:
                    gdal_read(base, headers)  # GDAL's first open, then the timed one
                    gdal = gdal_read(base, headers)
                results[kind] = (pages, gdal)

    new_pages, new_gdal = results["new"]
    old_pages, old_gdal = results["old"]
    print(f"sample district, 29,946 incidents; county command centre; {args.rounds} rounds "
          "each, over HTTP on loopback (uvicorn, one process each)")
    print(f"{'request':<36}{'new best / median':>22}{'old best / median':>22}{'ratio':>9}")
    failed = []
    for label, _ in PAGES:
        nb, nm, nid = new_pages[label]
        ob, om, oid = old_pages[label]
        print(f"{label:<36}{nb:>10.3f} / {nm:.3f} s{ob:>10.3f} / {om:.3f} s{ob / nb:>8.1f}x")
        if nid != oid:
            failed.append(label)
    n_s, n_ids = new_gdal
    line = f"{'GDAL OAPIF, incidents in a bbox':<36}{n_s:>17.2f} s"
    if old_gdal is not None:
        o_s, o_ids = old_gdal
        line += f"{o_s:>17.2f} s{o_s / n_s:>13.1f}x"
        if o_ids != n_ids:
            failed.append("GDAL")
    print(line + f"   ({len(n_ids):,} features)")
    if failed:
        raise SystemExit(f"answers differ: {', '.join(failed)}")


if __name__ == "__main__":
    main()
