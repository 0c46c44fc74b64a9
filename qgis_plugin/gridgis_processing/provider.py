"""The "gridgis" provider of the Processing toolbox, with the path of the gridgis program."""

from __future__ import annotations

from qgis.core import QgsProcessingProvider

from .algorithms import ALGORITHMS, EXECUTABLE_SETTING

__all__ = ["GridgisProvider"]


class GridgisProvider(QgsProcessingProvider):
    """Processing provider ``gridgis``: validate, repair, partition, diff, adopt, import, sample."""

    def id(self) -> str:
        return "gridgis"

    def name(self) -> str:
        return "gridgis 网格化管理"

    def longName(self) -> str:
        return "gridgis 网格化管理 Grid-based governance"

    def load(self) -> bool:
        from processing.core.ProcessingConfig import ProcessingConfig, Setting

        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(Setting(
            self.name(), EXECUTABLE_SETTING,
            "gridgis 程序路径（留空自动查找） gridgis executable (empty: found automatically)",
            "", valuetype=Setting.FILE))
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self) -> None:
        from processing.core.ProcessingConfig import ProcessingConfig

        ProcessingConfig.removeSetting(EXECUTABLE_SETTING)

    def loadAlgorithms(self) -> None:
        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
