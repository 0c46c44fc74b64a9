"""gridgis Processing provider for QGIS (3.22 and later): planners' tools in the toolbox.

The algorithms run the installed ``gridgis`` command line, so QGIS's Python
and gridgis's environment never share packages.
"""


def classFactory(iface):
    """Return the plugin object for QGIS."""
    from .plugin import GridgisPlugin

    return GridgisPlugin(iface)
