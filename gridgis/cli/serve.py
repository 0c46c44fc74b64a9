"""``gridgis serve``: the dispatch API and the dispatcher console on a district.

The only module of gridgis that imports the web service (:mod:`api`), and only
when the command runs, so the library and ``gridgis --help`` never load it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from gridgis.cli._output import clear_errors, err

if TYPE_CHECKING:
    from gridgis.dispatch.service import Dispatcher

__all__ = ["serve"]


def _demo_staff(dispatcher: Dispatcher) -> None:
    """Fill an empty staff directory with the sample roster; print accounts to try."""
    from gridgis.people.roles import ROLE_NAMES, StaffRole
    from gridgis.sample import DEMO_PASSWORD, load_sample_staff

    accounts = load_sample_staff(dispatcher.store.staff, dispatcher.layers)
    if accounts is None:
        err.print(f"人员目录已有 {dispatcher.store.staff.count()} 人，未载入样例名册 / the staff "
                  "directory has people already; the sample roster was not loaded",
                  highlight=False)
        return
    err.print(f"已载入样例名册，演示账号（密码均为 {DEMO_PASSWORD}）/ loaded the sample roster; "
              f"accounts to try (password {DEMO_PASSWORD} for all):", highlight=False)
    for row in accounts.itertuples():
        err.print(f"  {row.staff_id:<15} {row.name}  {ROLE_NAMES[StaffRole(row.role)]} / "
                  f"{row.role}",
                  highlight=False)


@clear_errors
def serve(
    path: Annotated[Path | None, typer.Argument(
        metavar="[FILE]", help="District GeoPackage; default: the built-in sample district.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    store: Annotated[str | None, typer.Option(
        help="Incident database: a SQLite file, or postgresql://user:password@host/db "
             "(PostgreSQL with PostGIS; photos go beside FILE); default: a SQLite file "
             "beside FILE.", envvar="GRIDGIS_STORE")] = None,
    demo: Annotated[bool, typer.Option(
        help="Run the sample's clock (2026-11-01 09:00 onwards) and load the archive's "
             "open incidents into the store, so the console shows a live board; an empty "
             "staff directory gets the sample roster, every account with one demo password "
             "(printed).")] = False,
    workers: Annotated[int, typer.Option(
        min=1, max=64,
        help="Service processes (服务进程数). They map one grid index file and share the "
             "store file; without FILE the sample district is written to a temporary "
             "GeoPackage first. Sign-in and intake limits count per process.")] = 1,
) -> None:
    """Serve the dispatch API (and the dispatcher console) on FILE."""
    import uvicorn

    from api.main import create_app
    from api.settings import Settings
    from gridgis.dispatch import china_now
    from gridgis.store import open_store, store_path_for

    if path is not None and not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if workers > 1 and path is None:  # workers read a file: write the sample once
        path = _sample_file(err)
    store_file = store or (store_path_for(path) if path is not None else ":memory:")
    # first: a store that cannot be used ends start-up
    incidents = open_store(store_file, layers=path)
    incidents.check(writable=True)  # with one line (StoreError), before the district loads
    clock = since = None
    if demo:
        from gridgis.sample import SAMPLE_END

        clock = SAMPLE_END.astype("datetime64[s]").item()
        since = china_now()  # the real time the demonstration's clock starts from
    try:  # GRIDGIS_* variables are read here: a bad one is one line too
        settings = Settings(layers=path, store=store, clock=clock, clock_since=since)
        extra: dict[str, Any] = {}
        if host.lower() not in settings.allowed_hosts:  # the address it listens on is its own
            extra["allowed_hosts"] = [*settings.allowed_hosts, host]
        if demo and not settings.open311_keys:  # a demonstration's own intake keys, printed
            extra["open311_keys"] = {c: secrets.token_urlsafe(18)
                                     for c in ("app", "wechat", "hotline", "web", "sensor")}
        if extra:
            settings = Settings(layers=path, store=store, clock=clock, clock_since=since,
                                **extra)
    except ValueError as exc:  # pydantic's ValidationError, over several lines
        reason = escape(" ".join(str(exc).split()))
        err.print(f"[bold red]error:[/] 设置无效 / invalid settings: {reason}",
                  highlight=False, markup=True)
        raise typer.Exit(code=2) from None
    if demo and settings.basemap is None and path is not None:  # built once, beside FILE
        settings = settings.model_copy(update={"basemap": _demo_basemap(path)})
    err.print(f"loading {path or 'the built-in sample district'} …", highlight=False)
    application = create_app(settings, store=incidents)
    if demo:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        from gridgis.dispatch.seed import seed_open_incidents

        dispatcher = application.state.dispatcher
        if dispatcher.layers.incidents is not None:
            with Progress(TextColumn("载入未办结事件 / loading open incidents"), BarColumn(),
                          MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                          transient=True) as bar:
                task = bar.add_task("seed", total=None)
                n = seed_open_incidents(
                    dispatcher, dispatcher.layers.incidents,
                    progress=lambda done, total: bar.update(task, completed=done, total=total))
            err.print(f"loaded {n} open incidents of the archive", highlight=False)
        _demo_patrols(dispatcher, err)
        _demo_staff(dispatcher)
        if "open311_keys" in extra:
            err.print("演示用 Open311 接入密钥 / Open311 api_key of each intake channel: " +
                      ", ".join(f"{c}={k}" for c, k in extra["open311_keys"].items()),
                      highlight=False)
    if workers == 1:
        err.print(f"serving on http://{host}:{port}/", highlight=False)
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return
    del application, incidents  # each worker builds its own service from the files
    _worker_environment(settings, store_file)
    err.print(f"serving on http://{host}:{port}/ with {workers} workers / 服务进程 {workers} 个",
              highlight=False)
    uvicorn.run("api.main:app_from_environment", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


def _sample_file(console: Any) -> Path:
    """The built-in sample district written to a temporary GeoPackage (with its roster)."""
    import tempfile

    from gridgis.layers import write_layers
    from gridgis.people.roster import roster_path_for, write_roster
    from gridgis.sample import sample_district, sample_roster

    console.print("writing the sample district for the workers …", highlight=False)
    folder = Path(tempfile.mkdtemp(prefix="gridgis-serve-"))
    out = folder / "sample_district.gpkg"
    layers = sample_district()
    write_layers(layers, out)
    write_roster(sample_roster(layers), roster_path_for(out))
    return out


def _demo_basemap(path: Path) -> Path:
    """The district's offline basemap beside its file, built when missing or older."""
    from gridgis.basemap.files import basemap_path_for, is_current
    from gridgis.cli.basemap import build_with_progress, same_source

    target = basemap_path_for(path)
    if is_current(target, path) or same_source(target, path):
        return target
    summary = build_with_progress(path, target, min_zoom=10, max_zoom=16, console=err)
    err.print(f"已生成离线底图 {target}（{summary.tiles:,} 个瓦片，{summary.seconds:.0f} 秒）"
              f" / built the offline basemap", highlight=False)
    return target


def _worker_environment(settings: Any, store_file: str) -> None:
    """What every worker must share, as ``GRIDGIS_*`` variables: files, clock, keys."""
    import json
    import os

    env = {"GRIDGIS_LAYERS": str(settings.layers), "GRIDGIS_STORE": str(store_file),
           "GRIDGIS_ALLOWED_HOSTS": json.dumps(list(settings.allowed_hosts))}
    if settings.basemap is not None:
        env["GRIDGIS_BASEMAP"] = str(settings.basemap)
    if settings.clock is not None:
        env["GRIDGIS_CLOCK"] = settings.clock.isoformat()
        env["GRIDGIS_CLOCK_SINCE"] = settings.clock_since.isoformat()
    # one signing key for all: a token from one worker is good at every other
    key = settings.secret_key.get_secret_value() if settings.secret_key is not None \
        else secrets.token_urlsafe(48)
    env["GRIDGIS_SECRET_KEY"] = key
    if settings.open311_keys:
        env["GRIDGIS_OPEN311_KEYS"] = json.dumps(
            {str(getattr(c, "value", c)): k.get_secret_value()
             for c, k in settings.open311_keys.items()})
    os.environ.update(env)


def _demo_patrols(dispatcher: Any, err: Any) -> int:
    """Load the sample's season of patrols into an empty patrol log, with a progress bar."""
    if dispatcher.layers.patrol_zones is None or dispatcher.store.patrols.count():
        return 0
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from gridgis.patrols.archive import load_patrols
    from gridgis.sample import sample_patrols

    with Progress(TextColumn("载入巡查记录 / loading a season of patrols"), BarColumn(),
                  MofNCompleteColumn(), console=err, transient=True) as bar:
        task = bar.add_task("patrols", total=None)
        # a fix every 30-60 s (not 10-30 s) keeps the demonstration's start short
        season = sample_patrols(dispatcher.layers, interval_s=(30.0, 60.0))
        n = load_patrols(dispatcher.store.patrols, dispatcher.layers.patrol_zones, season,
                         progress=lambda done, total: bar.update(task, completed=done,
                                                                 total=total))
    err.print(f"loaded {n} patrols of the sample's season", highlight=False)
    return n

