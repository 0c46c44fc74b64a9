"""A province's archive in one store: GET /incidents by township at millions of incidents.

Issue 22 asks that PostGIS holding 10M incidents answers ``GET /incidents`` filtered by
township with p99 ≤ 100 ms. This benchmark builds such a store and measures it over HTTP:

1. The sample district's open matters are written through the dispatcher (complete
   records, deadlines and lights as the service keeps them): the templates.
2. The templates are copied in SQL, ``--incidents`` rows in all, as the archive of a
   province: copy *k* goes to county *k mod C* (``--counties``, the codes' county digits
   rewritten, so each township holds about N / (C × townships) incidents, as in a real
   province) and every copy but the sample's own is closed (its light none), so the board
   keeps the sample's live matters among millions of closed ones.
3. ``gridgis serve FILE --store … --workers 2`` serves it; wrk asks ``GET
   /incidents?township=T&limit=50`` for the sample county's townships in turn, signed in
   as that county's command centre, at ``--connections`` dispatchers.

The same is measured on a SQLite store holding the same rows (the peer: the default
backend), so the printed ratio says what PostGIS costs or saves at this scale. Every
answer must be 200 and the two backends must count the same matters for each township.

    .venv/bin/python benchmarks/bench_store_scale.py                 # 10M incidents
    .venv/bin/python benchmarks/bench_store_scale.py --incidents 1e6 # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_api import _free_port, _stop, _wait, _wrk  # noqa: E402

PASSWORD = "scale-bench-2026"
CLOCK = dt.datetime(2026, 11, 1, 9, 0)
TOWNSHIP_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def _templates(layers, work: Path) -> list[dict]:
    """The sample's open matters as complete store rows (written through the dispatcher)."""
    import sqlalchemy as sa

    from gridgis.dispatch.seed import seed_open_incidents
    from gridgis.dispatch.service import Dispatcher
    from gridgis.store import SQLiteStore
    from gridgis.store.sqlite import incidents

    store = SQLiteStore(work / "templates.sqlite")
    dispatcher = Dispatcher(layers, store, clock=lambda: CLOCK)
    seed_open_incidents(dispatcher, layers.incidents, until=CLOCK)
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(incidents)).mappings()]
    store.close()
    return rows


def _copy_sql(columns: list[str], county_of: str, dialect: str) -> str:
    """INSERT … SELECT of the copies ``:a``…``:b`` of the templates (``k``, a series)."""
    code_cols = {"grid_code", "community_code", "township_code"}
    select = []
    for col in columns:
        if col == "incident_id":
            select.append("t.incident_id || '-' || CAST(k AS TEXT)")
        elif col in code_cols:
            select.append(f"CASE WHEN {county_of} = '' THEN t.{col} "
                          f"ELSE {county_of} || substr(t.{col}, 7) END")
        elif col == "status":
            select.append("CASE WHEN k = 0 THEN t.status ELSE 'closed' END")
        elif col in ("due_at", "yellow_at", "supervised_due_at", "idempotency_key"):
            select.append(f"CASE WHEN k = 0 THEN t.{col} ELSE NULL END")
        elif col == "closed_at":
            select.append("CASE WHEN k = 0 THEN t.closed_at ELSE t.resolve_by END")
        else:
            select.append(f"t.{col}")
    series = ("generate_series(CAST(:a AS integer), CAST(:b AS integer)) AS s(k)"
              if dialect == "postgresql" else
              "(WITH RECURSIVE s(k) AS (SELECT :a UNION ALL SELECT k + 1 FROM s WHERE k < :b) "
              "SELECT k FROM s) AS s")
    return (f"INSERT INTO incidents ({', '.join(columns)}) SELECT {', '.join(select)} "
            f"FROM tpl AS t CROSS JOIN {series}")


def _county_expr(counties: int, dialect: str) -> str:
    c = f"(k % {counties})"
    if dialect == "postgresql":
        return (f"CASE WHEN {c} = 0 THEN '' ELSE '33' || lpad(CAST(1 + {c} / 60 AS TEXT), 2, '0')"
                f" || lpad(CAST(1 + {c} % 60 AS TEXT), 2, '0') END")
    return (f"CASE WHEN {c} = 0 THEN '' ELSE '33' || substr('0' || CAST(1 + {c} / 60 AS TEXT), -2)"
            f" || substr('0' || CAST(1 + {c} % 60 AS TEXT), -2) END")


def _fill(store, rows: list[dict], total: int, counties: int, label: str) -> float:
    """Copy the templates into ``store`` until it holds ``total`` incidents; seconds taken."""
    import sqlalchemy as sa
    from rich.progress import Progress

    from gridgis.store.sqlite import incidents

    dialect = store.engine.dialect.name
    columns = [c.name for c in incidents.columns]
    started = time.perf_counter()
    with store.engine.begin() as conn:
        tpl = sa.Table("tpl", sa.MetaData(), *[sa.Column(c.name, c.type) for c in
                                                incidents.columns], prefixes=["TEMPORARY"])
        tpl.create(conn)
        conn.execute(tpl.insert(), rows)
        copies = -(-total // len(rows))
        statement = sa.text(_copy_sql(columns, _county_expr(counties, dialect), dialect))
        step = max(1, 200_000 // len(rows))
        with Progress(transient=True) as bar:
            task = bar.add_task(f"{label}: {copies * len(rows):,} incidents", total=copies)
            for a in range(0, copies, step):
                b = min(copies, a + step) - 1
                conn.execute(statement, {"a": a, "b": b})
                bar.update(task, completed=b + 1)
        conn.execute(sa.text("DROP TABLE tpl"))
    if dialect == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE incidents"))
    else:
        with store.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def _serve(gpkg: Path, spec: str, work: Path, person_id: str, townships: list[str],
           args: argparse.Namespace) -> tuple[dict, dict[str, int]]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gridgis", "serve", str(gpkg), "--store",
                             spec, "--port", str(port), "--workers", str(args.workers)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/conformance", proc)
        form = urllib.parse.urlencode({"username": person_id, "password": PASSWORD}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{base}/auth/token", data=form),
                                    timeout=120) as r:
            token = json.loads(r.read())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        matched = {}
        for code in townships:
            req = urllib.request.Request(f"{base}/incidents?township={code}&limit=50",
                                         headers=auth)
            with urllib.request.urlopen(req, timeout=120) as r:
                matched[code] = json.loads(r.read())["matched"]
        paths = ", ".join(f'"/incidents?township={c}&limit=50"' for c in townships)
        script = work / "township.lua"
        script.write_text(TOWNSHIP_LUA % paths, encoding="utf-8")
        _wrk(base, seconds=args.warmup, connections=args.connections, script=script,
             headers=auth)
        got = _wrk(base, seconds=args.seconds, connections=args.connections, script=script,
                   headers=auth)
    finally:
        _stop(proc)
    return got, matched


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--incidents", type=float, default=10e6)
    ap.add_argument("--counties", type=int, default=334,
                    help="counties the copies spread over (a province: ~100k grids)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--backends", default="postgis,sqlite")
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (make tools)", file=sys.stderr)
        return 2

    from gridgis.layers import write_layers
    from gridgis.people import StaffMember
    from gridgis.people.passwords import hash_password
    from gridgis.sample import sample_district
    from gridgis.store import open_store
    from tests.pgcluster import MISSING, Cluster, postgres_bin

    backends = args.backends.split(",")
    work = Path(tempfile.mkdtemp(prefix="gridgis-bench-scale-"))
    cluster = None
    try:
        layers = sample_district()
        gpkg = write_layers(layers, work / "district.gpkg")
        county = layers.townships["code"].iloc[0][:6]
        townships = sorted(layers.townships["code"])
        rows = _templates(layers, work)
        person = StaffMember(f"qx{county}", "县指挥中心压测", "command_centre", county)
        total = int(args.incidents)
        print(f"{len(rows):,} open matters of the sample as templates; {total:,} incidents "
              f"over {args.counties} counties × {len(townships)} townships "
              f"(≈ {total // (args.counties * len(townships)):,} per township)", flush=True)
        results = {}
        for name in backends:
            if name == "postgis":
                bin_dir = postgres_bin()
                if bin_dir is None:
                    print(MISSING, file=sys.stderr)
                    return 2
                cluster = Cluster(bin_dir)
                spec = cluster.new_database()
            else:
                spec = str(work / "province.sqlite")
            store = open_store(spec, layers=gpkg)
            store.staff.save(person, password_hash=hash_password(PASSWORD))
            took = _fill(store, rows, total, args.counties, name)
            store.close()
            print(f"{name}: filled in {took:.0f} s", flush=True)
            results[name] = _serve(gpkg, spec, work, person.staff_id, townships, args)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nGET /incidents?township=T&limit=50, {args.connections} connections, "
          f"{args.workers} workers, {args.seconds} s (wrk)")
    print(f"{'store':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, (got, _) in results.items():
        print(f"{name:<8} {got['rate']:>8,.0f} {got['p50']:>8.1f} {got['p99']:>8.1f} "
              f"{got['non2xx']:>8}")
    if len(results) == 2:
        (a, (ga, ma)), (b, (gb, mb)) = results.items()
        print(f"{a} p99 is {gb['p99'] / ga['p99']:.2f}× faster than {b}'s "
              f"(req/s {ga['rate'] / gb['rate']:.2f}×)")
        if ma != mb:
            print(f"the backends disagree on the matters per township: {ma} vs {mb}",
                  file=sys.stderr)
            return 1
    if any(got["non2xx"] for got, _ in results.values()):
        print("some answers were not 200", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
