"""The plugin object QGIS loads: it registers the gridgis Processing provider."""

from __future__ import annotations

from qgis.core import QgsApplication

from .provider import GridgisProvider

__all__ = ["GridgisPlugin"]


class GridgisPlugin:
    """Adds the gridgis provider to the Processing toolbox (and removes it on unload)."""

    def __init__(self, iface=None) -> None:
        self.iface = iface
        self.provider: GridgisProvider | None = None

    def initProcessing(self) -> None:
        """Register the provider (QGIS calls this for Processing-only plugins too)."""
        if self.provider is not None:  # initGui after initProcessing: registered once
            return
        self.provider = GridgisProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        """Called by QGIS when its interface starts."""
        self.initProcessing()

    def unload(self) -> None:
        """Called by QGIS when the plugin is switched off."""
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
