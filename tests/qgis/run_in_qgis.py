"""Run the gridgis Processing algorithms inside Debian's QGIS and print what came out as JSON.

Executed by QGIS's own Python (``/usr/bin/python3`` with python3-qgis), never by
the project's: ``tests/qgis/test_qgis_plugin.py`` starts it in a subprocess with
a JSON file naming the plugin folder, the ``gridgis`` program and the inputs,
and checks the JSON this script prints on its last line of standard output.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QSize
from qgis.PyQt.QtGui import QColor

LIGHTS = {"#e31a1c": "red", "#fdbe28": "yellow", "#1a9641": "green"}
"""The colours of the incidents' red, yellow and green lights."""


class Feedback(QgsProcessingFeedback):
    """Records progress, messages and errors."""

    def __init__(self) -> None:
        super().__init__()
        self.progress: list[float] = []
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.progressChanged.connect(self.progress.append)

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.errors.append(error)

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)


def renderer_summary(layer: QgsVectorLayer) -> dict:
    renderer = layer.renderer()
    out = {"valid": layer.isValid(), "renderer": renderer.type() if renderer else None,
           "features": layer.featureCount(), "labels": layer.labelsEnabled(),
           "name": layer.name()}
    if hasattr(renderer, "categories"):
        out["categories"] = [c.label() for c in renderer.categories()]
    if hasattr(renderer, "rootRule"):
        out["rules"] = [r.label() for r in renderer.rootRule().children()]
    return out


def run(alg_id: str, params: dict) -> dict:
    """Run one algorithm; its results, loaded layers, progress and errors."""
    registry = QgsApplication.processingRegistry()
    alg = registry.createAlgorithmById(alg_id)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = Feedback()
    results, ok = alg.run(params, context, feedback)
    loaded = {}
    project = QgsProject.instance()
    for layer_id in context.layersToLoadOnCompletion():
        layer = context.getMapLayer(layer_id)
        if layer is not None:
            loaded[layer.name()] = renderer_summary(layer)
            loaded[layer.name()]["source"] = layer.source()
    # what QGIS does when an algorithm ends: take the layers in (in no set order), then
    # call each one's post-processor
    added = []
    for layer_id, details in reversed(list(context.layersToLoadOnCompletion().items())):
        layer = context.temporaryLayerStore().takeMapLayer(context.getMapLayer(layer_id))
        project.addMapLayer(layer)
        added.append((layer, details))
    for layer, details in added:
        if details.postProcessor() is not None:
            details.postProcessor().postProcessLayer(layer, context, feedback)
    mine = {layer.id() for layer, _ in added}
    order = [node.name() for node in project.layerTreeRoot().findLayers()
             if node.layerId() in mine]
    plain = {k: v for k, v in (results or {}).items()
             if isinstance(v, (str, int, float, list, bool)) or v is None}
    return {"ok": bool(ok), "results": plain, "layers": loaded, "order": order,
            "errors": feedback.errors,
            "progress": feedback.progress, "infos": feedback.infos}


def lights(incidents: QgsVectorLayer) -> dict[str, int]:
    """Pixels of each light's colour when the incidents alone are drawn over the district."""
    settings = QgsMapSettings()
    settings.setLayers([incidents])
    settings.setDestinationCrs(incidents.crs())
    settings.setOutputSize(QSize(900, 700))
    settings.setExtent(incidents.extent())
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    counts = dict.fromkeys(LIGHTS.values(), 0)
    for x in range(image.width()):
        for y in range(image.height()):
            name = LIGHTS.get(QColor(image.pixel(x, y)).name())
            if name:
                counts[name] += 1
    return counts


def screenshot(paths: dict, out: Path) -> dict:
    """Render the styled plan (and the findings of the broken one) into a PNG."""
    layers = []
    for name in ("incidents", "communities", "townships", "patrol_zones", "grids"):
        layers.append(QgsVectorLayer(f"{paths['sample']}|layername={name}", name, "ogr"))
    findings = QgsVectorLayer(f"{paths['findings']}|layername=findings", "findings", "ogr")
    layers.insert(0, findings)
    for layer in layers:
        QgsProject.instance().addMapLayer(layer, False)
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(1200, 900))
    extent = next(layer for layer in layers if layer.name() == "grids").extent()
    extent.scale(0.35)  # a close view: grid codes are labelled below 1:60,000
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    labels: dict[str, int] = {}
    for label in job.takeLabelingResults().allLabels():
        name = QgsProject.instance().mapLayer(label.layerID).name()
        labels[name] = labels.get(name, 0) + 1
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(out), "PNG")
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    return {"path": str(out), "width": image.width(), "height": image.height(),
            "colours": len(colours), "scale": settings.scale(), "labels": labels,
            "lights": lights(next(
                layer for layer in layers if layer.name() == "incidents"))}


def main() -> None:
    """Run every scenario of the JSON file named on the command line."""
    config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, config["plugin_parent"])
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    from processing.core.Processing import Processing
    from processing.core.ProcessingConfig import ProcessingConfig

    Processing.initialize()
    import qgis.utils  # the packaged plugin, loaded the way QGIS loads an installed one

    qgis.utils.plugin_paths = [config["plugin_parent"]]
    qgis.utils.updateAvailablePlugins()
    assert qgis.utils.loadPlugin("gridgis_processing")
    assert qgis.utils.startProcessingPlugin("gridgis_processing")
    plugin = qgis.utils.plugins["gridgis_processing"]
    ProcessingConfig.setSettingValue("GRIDGIS_EXECUTABLE", config["executable"])
    work = Path(config["work"])
    report: dict = {"qgis": __import__("qgis.core").core.Qgis.QGIS_VERSION}
    provider = QgsApplication.processingRegistry().providerById("gridgis")
    report["algorithms"] = {a.id(): a.displayName() for a in provider.algorithms()}
    sample = str(work / "sample.gpkg")
    report["sample"] = run("gridgis:sample", {"SEED": 7, "SCALE": 0.05, "OUTPUT": sample})
    report["validate_clean"] = run("gridgis:validate", {
        "INPUT": sample, "OUTPUT": str(work / "clean_findings.gpkg")})
    findings = str(work / "broken_findings.gpkg")
    report["validate_broken"] = run("gridgis:validate", {
        "INPUT": config["broken"], "OUTPUT": findings})
    layer = QgsVectorLayer(f"{findings}|layername=findings", "f", "ogr")
    report["broken_findings"] = [
        {"rule": f["rule"], "severity": f["severity"], "codes": f["codes"]}
        for f in layer.getFeatures()]
    repaired = str(work / "repaired.gpkg")
    report["repair"] = run("gridgis:repair", {"INPUT": config["broken"], "CLEAN": True,
                                              "OUTPUT": repaired})
    report["validate_repaired"] = run("gridgis:validate", {
        "INPUT": repaired, "OUTPUT": str(work / "repaired_findings.gpkg")})
    communities = QgsVectorLayer(f"{sample}|layername=communities", "社区", "ogr")
    QgsProject.instance().addMapLayer(communities)
    communities.selectByExpression(f"\"code\" = '{config['community']}'")
    from qgis.core import QgsProcessingFeatureSourceDefinition

    proposed = str(work / "proposed.gpkg")
    report["partition"] = run("gridgis:partition", {
        "COMMUNITIES": QgsProcessingFeatureSourceDefinition(communities.id(), True),
        "FORCE": True, "OUTPUT": proposed})
    report["partition_typo"] = run("gridgis:partition", {
        "COMMUNITIES": communities.id(), "CODES": "330399999999", "FORCE": True,
        "OUTPUT": str(work / "never.gpkg")})
    diff = str(work / "diff.gpkg")
    report["diff"] = run("gridgis:diff", {"OLD": sample, "NEW": proposed, "OUTPUT": diff})
    changes = QgsVectorLayer(f"{diff}|layername=grid_changes", "c", "ogr")
    report["diff_changed"] = [{"code": f["code"], "community_code": f["community_code"],
                               "status": f["status"]}
                              for f in changes.getFeatures() if f["status"] != "unchanged"]
    report["adopt"] = run("gridgis:adopt", {
        "CURRENT": sample, "PROPOSED": proposed, "EFFECTIVE": QDate(2026, 7, 1),
        "OUTPUT": str(work / "adopted.gpkg")})
    report["import"] = run("gridgis:import", {"MAPPING": config["mapping"],
                                              "OUTPUT": str(work / "imported.gpkg")})
    report["not_a_gpkg"] = run("gridgis:validate", {
        "INPUT": config["not_a_gpkg"], "OUTPUT": str(work / "x.gpkg")})
    plain = work / "gridgis-not-executable"
    plain.write_text("not a program", encoding="utf-8")
    ProcessingConfig.setSettingValue("GRIDGIS_EXECUTABLE", str(plain))
    report["no_executable"] = run("gridgis:validate", {"INPUT": sample,
                                                       "OUTPUT": str(work / "y.gpkg")})
    report["screenshot"] = screenshot({"sample": sample, "findings": findings},
                                      Path(config["screenshot"]))
    plugin.unload()
    print(json.dumps(report, ensure_ascii=False, default=str))
    sys.stdout.flush()
    os._exit(0)  # QGIS's own teardown can crash a headless process after the work is done


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        os._exit(3)
