"""The Processing algorithms of the gridgis provider, one per ``gridgis`` command.

Each algorithm turns its QGIS parameters into a ``gridgis`` command line,
runs it (:mod:`.runner`), and adds the layers it wrote to the project; the
styles come from the GeoPackage's ``layer_styles`` table, written by gridgis.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from qgis.core import (
    QgsLayerTreeLayer,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputMultipleLayers,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsVectorLayer,
)

from .runner import GridgisRunError, find_gridgis, run_gridgis

__all__ = ["ALGORITHMS", "EXECUTABLE_SETTING", "LAYER_NAMES"]

EXECUTABLE_SETTING = "GRIDGIS_EXECUTABLE"
"""Name of the provider setting holding the path of the ``gridgis`` program."""

LAYER_NAMES = {
    "townships": "乡镇/街道 townships", "communities": "社区/村 communities",
    "grids": "网格 grids", "patrol_zones": "巡查区 patrol zones",
    "buildings": "楼栋 buildings", "units": "责任单位 units", "incidents": "事件 incidents",
    "grid_history": "网格历史版本 grid history", "findings": "校验问题 findings",
    "grid_changes": "网格变化 grid changes", "old_boundaries": "原网格边界 old boundaries",
    "moved_buildings": "变动楼栋 moved buildings",
    "moved_incidents": "变动事件 moved incidents",
}
"""Chinese (English second) names of the layers added to the project."""

DISTRICT = ("townships", "communities", "grids", "patrol_zones", "units", "incidents")

DRAW_ORDER = ("findings", "moved_incidents", "moved_buildings", "old_boundaries",
              "grid_changes", "incidents", "units", "townships", "communities", "grids",
              "patrol_zones", "grid_history")
"""Layers of one run from the top of the layer tree down: points over outlines over fills."""

_KEEP: list[QgsProcessingLayerPostProcessorInterface] = []  # QGIS holds no Python reference


class _DrawOrder(QgsProcessingLayerPostProcessorInterface):
    """Puts the layers one run added in :data:`DRAW_ORDER` within their group."""

    def __init__(self, run: str, name: str) -> None:
        super().__init__()
        self.run, self.rank = run, DRAW_ORDER.index(name) if name in DRAW_ORDER else 99

    def postProcessLayer(self, layer, context, feedback) -> None:
        node = context.project().layerTreeRoot().findLayer(layer.id())
        if node is None:
            return
        node.setCustomProperty("gridgis/run", self.run)
        node.setCustomProperty("gridgis/rank", self.rank)
        parent = node.parent()
        mine = [c for c in parent.children() if isinstance(c, QgsLayerTreeLayer)
                and c.customProperty("gridgis/run") == self.run]
        first = min(parent.children().index(c) for c in mine)
        ordered = [c.clone() for c in sorted(mine, key=lambda c: int(
            c.customProperty("gridgis/rank")))]
        for child in mine:
            parent.removeChildNode(child)
        for offset, clone in enumerate(ordered):
            parent.insertChildNode(first + offset, clone)
GPKG = "GeoPackage (*.gpkg *.GPKG)"


def _executable() -> str | None:
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
    except ImportError:  # Processing is not initialised (a bare script)
        return None
    return ProcessingConfig.getSetting(EXECUTABLE_SETTING) or None


class GridgisAlgorithm(QgsProcessingAlgorithm):
    """What every gridgis algorithm shares: names, the command run, the layers loaded."""

    command = ""
    zh = ""
    en = ""
    help_text = ""

    def name(self) -> str:
        return self.command

    def displayName(self) -> str:
        return f"{self.zh} {self.en}"

    def group(self) -> str:
        return "网格方案 Grid plans"

    def groupId(self) -> str:
        return "plans"

    def shortHelpString(self) -> str:
        return self.help_text

    def createInstance(self) -> GridgisAlgorithm:
        return type(self)()

    def run_command(self, args: list[str], feedback, ok_codes: tuple[int, ...] = (0,)):
        """Run ``gridgis args``: progress to ``feedback``, errors as QgsProcessingException."""
        try:
            exe = find_gridgis(_executable())
            feedback.pushCommandInfo(" ".join([exe, *args]))
            done = run_gridgis(
                exe, args,
                on_progress=lambda share, step: (feedback.setProgress(100.0 * share),
                                                 feedback.setProgressText(step)),
                on_line=feedback.pushInfo, is_cancelled=feedback.isCanceled,
                ok_codes=ok_codes)
        except GridgisRunError as exc:
            raise QgsProcessingException(str(exc)) from None
        if done.stdout.strip():
            feedback.pushConsoleInfo(done.stdout.rstrip())
        feedback.setProgress(100.0)
        return done

    def load_layers(self, path: str, names, context: QgsProcessingContext, output: str,
                    prefix: str = "") -> list[str]:
        """Add the layers ``names`` of GeoPackage ``path`` to the project when the run ends."""
        loaded = []
        run = uuid.uuid4().hex
        for name in names:
            layer = QgsVectorLayer(f"{path}|layername={name}",
                                   f"{prefix}{LAYER_NAMES.get(name, name)}", "ogr")
            if not layer.isValid():
                continue
            context.temporaryLayerStore().addMapLayer(layer)
            details = QgsProcessingContext.LayerDetails(layer.name(), context.project(), output)
            details.forceName = True
            _KEEP.append(_DrawOrder(run, name))
            details.setPostProcessor(_KEEP[-1])
            context.addLayerToLoadOnCompletion(layer.id(), details)
            loaded.append(layer.id())
        return loaded

    @staticmethod
    def district_file(alg: QgsProcessingAlgorithm, parameters, name: str, context) -> str:
        """The GeoPackage named by file parameter ``name``, checked to exist."""
        path = alg.parameterAsFile(parameters, name, context)
        if not path or not Path(path).is_file():
            raise QgsProcessingException(f"找不到区县 GeoPackage：{path} (no such file)")
        return path


def _households(alg: QgsProcessingAlgorithm, low: int, high: int, prefix: str = "") -> None:
    alg.addParameter(QgsProcessingParameterNumber(
        f"{prefix}HOUSEHOLDS_MIN", "每格最少户数 Households per grid, min",
        QgsProcessingParameterNumber.Integer, low, minValue=0))
    alg.addParameter(QgsProcessingParameterNumber(
        f"{prefix}HOUSEHOLDS_MAX", "每格最多户数 Households per grid, max",
        QgsProcessingParameterNumber.Integer, high, minValue=0))


def _range(alg: QgsProcessingAlgorithm, parameters, context, prefix: str = "") -> list[str]:
    low = alg.parameterAsInt(parameters, f"{prefix}HOUSEHOLDS_MIN", context)
    high = alg.parameterAsInt(parameters, f"{prefix}HOUSEHOLDS_MAX", context)
    if prefix == "" and low > high:
        raise QgsProcessingException(f"最少户数 {low} 大于最多户数 {high} (min above max)")
    return [str(low), str(high)]


def _layer_of(value, context: QgsProcessingContext):
    """The map layer a feature-source parameter value names (a layer, an id, a URI)."""
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        value = value.source.staticValue()
    if isinstance(value, QgsVectorLayer):
        return value
    if isinstance(value, str) and value:
        return QgsProcessingUtils.mapLayerFromString(value, context)
    return None


class ValidateAlgorithm(GridgisAlgorithm):
    """``gridgis validate``: the findings as a layer styled by severity and rule."""

    command, zh, en = "validate", "校验网格方案", "Validate a grid plan"
    help_text = ("检查网格方案：无交叉、无重复、无缝对接，编码、户数、网格员、巡查区"
                 "（十三条规则）。问题写成图层「校验问题」，按严重程度和规则着色。\n"
                 "Checks the plan (thirteen rules); the findings become a layer styled by "
                 "severity and rule.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterFile(
            "INPUT", "区县 GeoPackage District GeoPackage", fileFilter=GPKG))
        _households(self, 300, 500)
        _households(self, 200, 800, prefix="RURAL_")
        self.addParameter(QgsProcessingParameterNumber(
            "WIDTH_TOLERANCE", "宽度容差（米） Width tolerance (m)",
            QgsProcessingParameterNumber.Double, 0.05, minValue=0.0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "校验问题 Findings", GPKG))
        self.addOutput(QgsProcessingOutputVectorLayer("FINDINGS", "校验问题 Findings"))
        self.addOutput(QgsProcessingOutputNumber("ERRORS", "错误数 Errors"))
        self.addOutput(QgsProcessingOutputNumber("WARNINGS", "警告数 Warnings"))

    def processAlgorithm(self, parameters, context, feedback):
        src = self.district_file(self, parameters, "INPUT", context)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        args = ["validate", src, "--findings", out, "--households", *_range(
            self, parameters, context), "--rural-households",
            *_range(self, parameters, context, "RURAL_"), "--width-tolerance",
            str(self.parameterAsDouble(parameters, "WIDTH_TOLERANCE", context))]
        self.run_command(args, feedback, ok_codes=(0, 1))
        layer = QgsVectorLayer(f"{out}|layername=findings", "findings", "ogr")
        counts = {"error": 0, "warning": 0}
        for feature in layer.getFeatures():
            counts[feature["severity"]] = counts.get(feature["severity"], 0) + 1
        feedback.pushInfo(f"错误 {counts['error']} 个，警告 {counts['warning']} 个 "
                          f"({counts['error']} error(s), {counts['warning']} warning(s))")
        if layer.featureCount():
            ids = self.load_layers(out, ["findings"], context, "FINDINGS")
        else:  # an empty layer has no geometry type: nothing to draw
            ids = []
            feedback.pushInfo("校验通过：无错误、无警告 (no findings)")
        return {"OUTPUT": out, "FINDINGS": ids[0] if ids else None,
                "ERRORS": counts["error"], "WARNINGS": counts["warning"]}


OVERLAP_RULES = ("longest_border", "max_area", "min_area", "min_index")


class RepairAlgorithm(GridgisAlgorithm):
    """``gridgis repair``: a repaired plan, written to a new file and added to the project."""

    command, zh, en = "repair", "修复网格方案", "Repair a grid plan"
    help_text = ("机械修复：整理为严密覆盖（裁到社区、重叠归一方、合并窄缝）、修正无效几何、"
                 "吸附社区边界、填补缝隙。结果写入新文件，原文件不变。\n"
                 "Mechanical repairs into a new file; the input is never changed.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterFile(
            "INPUT", "区县 GeoPackage District GeoPackage", fileFilter=GPKG))
        self.addParameter(QgsProcessingParameterBoolean(
            "CLEAN", "整理为严密覆盖 Clean into an exact coverage", True))
        self.addParameter(QgsProcessingParameterBoolean(
            "MAKE_VALID", "修正无效几何 Make invalid polygons valid", False))
        self.addParameter(QgsProcessingParameterBoolean(
            "FILL_GAPS", "填补缝隙与碎片 Fill gaps and slivers", False))
        self.addParameter(QgsProcessingParameterNumber(
            "SNAP", "吸附社区边界（米，0 不吸附） Snap to the community boundary (m, 0: off)",
            QgsProcessingParameterNumber.Double, 0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "GAP_WIDTH", "合并缝隙宽度（米） Gap width merged (m)",
            QgsProcessingParameterNumber.Double, 2.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterEnum(
            "OVERLAP_RULE", "重叠归属 Who keeps an overlap",
            ["公共边最长 longest border", "面积较大 larger", "面积较小 smaller",
             "编码较小 lower code"], defaultValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "修复后的方案 Repaired plan", GPKG))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "图层 Layers"))
        self.addOutput(QgsProcessingOutputNumber("ERRORS_LEFT", "修复后错误数 Errors left"))

    def processAlgorithm(self, parameters, context, feedback):
        src = self.district_file(self, parameters, "INPUT", context)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        args = ["repair", src, "--out", out]
        for flag, option in (("CLEAN", "--clean"), ("MAKE_VALID", "--make-valid"),
                             ("FILL_GAPS", "--fill-gaps")):
            if self.parameterAsBool(parameters, flag, context):
                args.append(option)
        snap = self.parameterAsDouble(parameters, "SNAP", context)
        if snap > 0:
            args += ["--snap", str(snap)]
        rule = OVERLAP_RULES[self.parameterAsEnum(parameters, "OVERLAP_RULE", context)]
        args += ["--gap-width", str(self.parameterAsDouble(parameters, "GAP_WIDTH", context)),
                 "--overlap-rule", rule]
        done = self.run_command(args, feedback)
        left = re.search(r"修复后：(\d+) 个错误", done.stdout)
        ids = self.load_layers(out, DISTRICT, context, "LAYERS", prefix="修复 ")
        return {"OUTPUT": out, "LAYERS": ids,
                "ERRORS_LEFT": int(left.group(1)) if left else None}


class PartitionAlgorithm(GridgisAlgorithm):
    """``gridgis partition``: the communities picked on the communities layer, redrawn."""

    command, zh, en = "partition", "重划社区网格", "Repartition communities"
    help_text = ("在社区图层上选中要重划的社区（勾选「仅选中要素」），或填写社区编码；"
                 "按户数范围用 spopt max-p 自动划分，新方案写入新文件。\n"
                 "Pick communities on the communities layer of a district GeoPackage "
                 "(selected features only) or type their codes; the redrawn plan is a new "
                 "file.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterFeatureSource(
            "COMMUNITIES", "社区图层（来自区县 GeoPackage） Communities layer",
            [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterString(
            "CODES", "社区编码（逗号分隔，留空用图层要素） Community codes (comma-separated)",
            optional=True))
        _households(self, 300, 500)
        self.addParameter(QgsProcessingParameterEnum(
            "OBJECTIVE", "把关指标 Objective",
            ["户数均衡 balance", "紧凑度 compactness", "户数达标率 bounds"], defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(
            "FORCE", "较差也写出 Write even when worse", False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "新方案 New plan", GPKG))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "图层 Layers"))
        self.addOutput(QgsProcessingOutputString("COMMUNITY_CODES", "重划的社区 Communities"))

    def processAlgorithm(self, parameters, context, feedback):
        layer = _layer_of(parameters.get("COMMUNITIES"), context)
        source = self.parameterAsSource(parameters, "COMMUNITIES", context)
        if layer is None or source is None:
            raise QgsProcessingException("请选择社区图层 (choose the communities layer)")
        src = layer.source().split("|")[0]
        if not src.lower().endswith(".gpkg") or not Path(src).is_file():
            raise QgsProcessingException(f"社区图层须来自区县 GeoPackage：{src} "
                                         "(the layer must come from a district GeoPackage)")
        typed = self.parameterAsString(parameters, "CODES", context).strip()
        if typed:
            codes = [c.strip() for c in typed.replace("，", ",").split(",") if c.strip()]
        else:
            if source.fields().indexOf("code") < 0:
                raise QgsProcessingException("图层没有 code 字段，不是社区图层 "
                                             "(no code field: not a communities layer)")
            codes = sorted({str(f["code"]) for f in source.getFeatures()})
        if not codes:
            raise QgsProcessingException("没有要重划的社区 (no community picked)")
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        objective = ("balance", "compactness", "bounds")[
            self.parameterAsEnum(parameters, "OBJECTIVE", context)]
        args = ["partition", src, *codes, "--out", out, "--households",
                *_range(self, parameters, context), "--objective", objective]
        if self.parameterAsBool(parameters, "FORCE", context):
            args.append("--force")
        self.run_command(args, feedback)
        ids = self.load_layers(out, ["grids", "communities"], context, "LAYERS",
                               prefix="新方案 ")
        return {"OUTPUT": out, "LAYERS": ids, "COMMUNITY_CODES": ",".join(codes)}


class DiffAlgorithm(GridgisAlgorithm):
    """``gridgis diff``: what moves between two plans, as layers and a summary."""

    command, zh, en = "diff", "比较两个方案", "Compare two plans"
    help_text = ("逐网格比较现行方案与新方案：面积、户数、人口、近一年事件和巡查工作量的变化，"
                 "变动的楼栋与事件。\nWhat moves between the plan in force and the proposal.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterFile(
            "OLD", "现行方案 Plan in force", fileFilter=GPKG))
        self.addParameter(QgsProcessingParameterFile(
            "NEW", "新方案 Proposed plan", fileFilter=GPKG))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "变化图层 Diff layers", GPKG))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "图层 Layers"))
        self.addOutput(QgsProcessingOutputString("SUMMARY", "摘要 Summary"))
        self.addOutput(QgsProcessingOutputNumber("CHANGED", "变化网格数 Changed grids"))
        self.addOutput(QgsProcessingOutputNumber("MOVED_BUILDINGS", "变动楼栋 Moved buildings"))

    def processAlgorithm(self, parameters, context, feedback):
        old = self.district_file(self, parameters, "OLD", context)
        new = self.district_file(self, parameters, "NEW", context)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        done = self.run_command(["diff", old, new, "--out", out, "--rows", "0"], feedback)
        names = ["grid_changes", "old_boundaries", "moved_buildings", "moved_incidents"]
        changes = QgsVectorLayer(f"{out}|layername=grid_changes", "c", "ogr")
        changed = sum(1 for f in changes.getFeatures() if f["status"] != "unchanged")
        moved = {name: QgsVectorLayer(f"{out}|layername={name}", name, "ogr")
                 for name in ("moved_buildings", "moved_incidents")}
        counts = {name: layer.featureCount() if layer.isValid() else 0
                  for name, layer in moved.items()}
        summary = (f"变化网格 {changed} 个，变动楼栋 {counts['moved_buildings']} 栋，"
                   f"变动事件 {counts['moved_incidents']} 件。\n"
                   + done.stdout.split("\nChanged grids")[0].strip())
        feedback.pushInfo(summary)
        ids = self.load_layers(out, names, context, "LAYERS")
        return {"OUTPUT": out, "LAYERS": ids, "SUMMARY": summary, "CHANGED": changed,
                "MOVED_BUILDINGS": counts["moved_buildings"]}


class AdoptAlgorithm(GridgisAlgorithm):
    """``gridgis adopt``: the proposal in force from a date, the old grids kept as history."""

    command, zh, en = "adopt", "启用新方案", "Adopt a plan"
    help_text = ("自生效日起启用新方案：新网格入 grids，旧网格连同有效期入 grid_history。\n"
                 "The proposal takes effect on a date; the old grids become history.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterFile(
            "CURRENT", "现行方案 Plan in force", fileFilter=GPKG))
        self.addParameter(QgsProcessingParameterFile(
            "PROPOSED", "新方案 Proposed plan", fileFilter=GPKG))
        self.addParameter(QgsProcessingParameterDateTime(
            "EFFECTIVE", "生效日期 Effective date", QgsProcessingParameterDateTime.Date))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "启用后的区县 Adopted district", GPKG))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "图层 Layers"))

    def processAlgorithm(self, parameters, context, feedback):
        current = self.district_file(self, parameters, "CURRENT", context)
        proposed = self.district_file(self, parameters, "PROPOSED", context)
        day = self.parameterAsDateTime(parameters, "EFFECTIVE", context).date()
        if not day.isValid():
            raise QgsProcessingException("请填写生效日期 (give the effective date)")
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        self.run_command(["adopt", current, proposed, "--effective",
                          day.toString("yyyy-MM-dd"), "--out", out], feedback)
        ids = self.load_layers(out, [*DISTRICT, "grid_history"], context, "LAYERS")
        return {"OUTPUT": out, "LAYERS": ids}


class ImportAlgorithm(GridgisAlgorithm):
    """``gridgis import``: a planner's own files, by a TOML mapping, into a district file."""

    command, zh, en = "import", "导入规划资料", "Import a planner's files"
    help_text = ("按 TOML 映射文件导入 Shapefile/GeoJSON/GeoPackage 与 Excel/CSV 清单，"
                 "生成区县 GeoPackage（带样式）。\nImports by a TOML mapping into a styled "
                 "district GeoPackage.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterFile(
            "MAPPING", "映射文件 Mapping (TOML)", fileFilter="TOML (*.toml)"))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "区县 GeoPackage District GeoPackage", GPKG))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "图层 Layers"))

    def processAlgorithm(self, parameters, context, feedback):
        mapping = self.parameterAsFile(parameters, "MAPPING", context)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        self.run_command(["import", mapping, out], feedback)
        ids = self.load_layers(out, DISTRICT, context, "LAYERS")
        return {"OUTPUT": out, "LAYERS": ids}


class SampleAlgorithm(GridgisAlgorithm):
    """``gridgis sample``: the built-in sample district, styled."""

    command, zh, en = "sample", "生成示例辖区", "Sample district"
    help_text = "生成可复现的示例辖区（带样式）。\nA reproducible sample district, styled."

    def group(self) -> str:
        return "资料 Data"

    def groupId(self) -> str:
        return "data"

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", "随机种子 Seed", QgsProcessingParameterNumber.Integer, 2026))
        self.addParameter(QgsProcessingParameterNumber(
            "SCALE", "规模（相对完整示例） Scale", QgsProcessingParameterNumber.Double, 1.0,
            minValue=0.01, maxValue=4.0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", "示例辖区 Sample district", GPKG))
        self.addOutput(QgsProcessingOutputMultipleLayers("LAYERS", "图层 Layers"))

    def processAlgorithm(self, parameters, context, feedback):
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out.lower().endswith(".gpkg"):
            out += ".gpkg"
        self.run_command(["sample", out, "--seed",
                          str(self.parameterAsInt(parameters, "SEED", context)), "--scale",
                          str(self.parameterAsDouble(parameters, "SCALE", context))], feedback)
        ids = self.load_layers(out, DISTRICT, context, "LAYERS")
        return {"OUTPUT": out, "LAYERS": ids}


ALGORITHMS = (ValidateAlgorithm, RepairAlgorithm, PartitionAlgorithm, DiffAlgorithm,
              AdoptAlgorithm, ImportAlgorithm, SampleAlgorithm)
"""Every algorithm of the provider."""
