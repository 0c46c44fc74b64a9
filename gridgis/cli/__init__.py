"""The ``gridgis`` command line: data on standard output, progress and errors on standard error.

The outermost shell of the package, one module per area:

- :mod:`gridgis.cli.data`: ``sample``, ``info``, ``assign``, ``schema``, ``compile``;
- :mod:`gridgis.cli.serve`: ``serve``, the only place in gridgis that imports ``api``;
- :mod:`gridgis.cli.plan`: ``validate``, ``repair``, ``partition``, ``diff``, ``adopt``;
- :mod:`gridgis.cli.staff`: ``staff add|import|list|disable|enable|password|export``;
- :mod:`gridgis.cli.roads`: ``roads``, a road network from an OpenStreetMap extract;
- :mod:`gridgis.cli.bulletin`: ``bulletin``, the half-monthly bulletin (通报);
- :mod:`gridgis.cli.coverage`: ``coverage``, emergency coverage by road (应急力量覆盖);
- :mod:`gridgis.cli.application`: the typer application that gathers them.

Every command has ``--help``. A bad path or a bad file ends the command with
one line on standard error and exit code 2. The commands import what they work
with when they run, so ``gridgis --help`` loads no GIS library.
"""

from gridgis.cli.application import app, main

__all__ = ["app", "main"]
