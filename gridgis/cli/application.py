"""The ``gridgis`` typer application: every command, in the order ``--help`` lists them."""

from __future__ import annotations

import typer

from gridgis.cli import (
    audit,
    baseinfo,
    basemap,
    bulletin,
    coverage,
    data,
    importing,
    mediation,
    plan,
    roads,
    serve,
    staff,
)

__all__ = ["COMMANDS", "app", "main"]

app = typer.Typer(
    name="gridgis",
    help="Grid-based community governance (网格化管理) on the map.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMANDS = (data.sample, data.info, data.assign, serve.serve, data.schema,
            plan.validate, plan.repair, plan.partition, plan.diff, plan.adopt,
            roads.roads, bulletin.bulletin, coverage.coverage, data.compile_,
            importing.import_, basemap.basemap)
"""Every command, in the order ``gridgis --help`` lists them."""

for _command in COMMANDS:  # compile_ is named so as not to hide the built-in compile
    app.command(name=_command.__name__.rstrip("_").replace("_", "-"))(_command)
app.add_typer(staff.app, name="staff")
app.add_typer(audit.app, name="audit")
app.add_typer(mediation.app, name="mediation")
app.add_typer(baseinfo.app, name="baseinfo")


def main() -> None:
    """Entry point of the ``gridgis`` console script and of ``python -m gridgis``."""
    app()
