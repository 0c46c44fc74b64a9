"""The result of validating a grid plan: findings as a layer, a table and a map."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio
from rich.table import Table

if TYPE_CHECKING:
    from gridgis.layers import Layers

__all__ = ["FINDING_COLUMNS", "SEVERITIES", "ValidationReport", "findings_frame"]

SEVERITIES: tuple[str, ...] = ("error", "warning")
"""An error breaks the unified grid; a warning is worth a planner's look."""

FINDING_COLUMNS: tuple[str, ...] = ("rule", "severity", "codes", "message", "measure", "unit")
SEVERITY_COLOURS = {"error": "#d7191c", "warning": "#fdae61"}


def findings_frame(rows: list[dict[str, Any]], crs: Any = "EPSG:4326") -> gpd.GeoDataFrame:
    """Build the findings layer from rows with the keys of :data:`FINDING_COLUMNS` and geometry.

    Parameters
    ----------
    rows : list of dict
        One dict per finding.
    crs : CRS-like, default EPSG:4326
        CRS of the rows' geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``rule, severity, codes, message, measure, unit, geometry``,
        errors first, then by rule and codes.
    """
    frame = pd.DataFrame(rows, columns=[*FINDING_COLUMNS, "geometry"])
    frame["measure"] = pd.to_numeric(frame["measure"], errors="coerce").astype(float)
    out = gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    order = out["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    out = out.assign(_order=order).sort_values(["_order", "rule", "codes"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


@dataclass
class ValidationReport:
    """Findings of :func:`gridgis.planning.validate.validate`.

    Attributes
    ----------
    findings : geopandas.GeoDataFrame
        One row per finding: ``rule``, ``severity`` (``error`` or ``warning``),
        ``codes`` (comma-separated codes involved), ``message``, ``measure``
        and its ``unit`` (m², m, households…), and a lon/lat geometry showing
        where the problem is.
    rules : tuple of str
        The rules that were checked (a rule without findings passed).
    layers : Layers, optional
        The plan that was validated; :meth:`map` draws its grids under the
        findings.
    """

    findings: gpd.GeoDataFrame
    rules: tuple[str, ...]
    layers: Layers | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> gpd.GeoDataFrame:
        """The findings of severity ``error``."""
        return self.findings[self.findings["severity"] == "error"]

    @property
    def ok(self) -> bool:
        """True when the plan has no errors (warnings allowed)."""
        return self.errors.empty

    def counts(self) -> pd.DataFrame:
        """Findings per rule and severity, every checked rule listed (zeros included)."""
        table = pd.crosstab(self.findings["rule"], self.findings["severity"])
        table = table.reindex(index=list(self.rules), columns=list(SEVERITIES), fill_value=0)
        table.index.name = "rule"
        return table.astype(int)

    def of_rule(self, rule: str) -> gpd.GeoDataFrame:
        """The findings of one rule."""
        if rule not in self.rules:
            raise KeyError(f"no rule {rule!r}; the rules are {', '.join(self.rules)}")
        return self.findings[self.findings["rule"] == rule]

    def table(self, *, limit: int = 40) -> Table:
        """A terminal table of the findings (errors first), at most ``limit`` rows."""
        warnings = len(self.findings) - len(self.errors)
        zh = "无错误" if self.ok else f"{len(self.errors)} 个错误"
        verdict = "no errors" if self.ok else f"{len(self.errors)} error(s)"
        table = Table(title=f"校验结果：{zh}，{warnings} 个警告 "
                            f"(Validation: {verdict}, {warnings} warning(s))",
                      title_justify="left")
        for column in ("severity", "rule", "codes", "measure", "message"):
            table.add_column(column, overflow="fold")
        for row in self.findings.head(limit).itertuples():
            style = "red" if row.severity == "error" else "yellow"
            table.add_row(f"[{style}]{row.severity}[/]", row.rule, row.codes,
                          f"{row.measure:,.1f} {row.unit}", row.message)
        if len(self.findings) > limit:
            table.caption = (f"……另有 {len(self.findings) - limit} 条，用 --findings 写出 "
                             f"(… and {len(self.findings) - limit} more)")
        return table

    def __rich__(self) -> Table:
        """Print the report with rich: ``console.print(report)``."""
        return self.table()

    def write(self, path: str | os.PathLike[str], *, layer: str = "findings") -> Path:
        """Write the findings as a layer of a GeoPackage (added beside any existing layers)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.findings
        if frame.empty:  # an empty layer still needs a geometry type
            frame = gpd.GeoDataFrame(frame.astype({c: str for c in FINDING_COLUMNS
                                                   if c != "measure"}),
                                     geometry="geometry", crs=frame.crs)
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG",
                                geometry_type="Unknown", promote_to_multi=False)
        return path

    def map(self, path: str | os.PathLike[str], layers: Layers | None = None) -> Path:
        """Save an offline HTML map (Leaflet inlined) of the findings over the grids.

        The map opens zoomed to the findings (to the district when there are
        none), with a title, a metric scale, Chinese labels, the figures of a
        finding on hover, and a legend entry (with its count) for every
        severity drawn.

        Parameters
        ----------
        path : path-like
            The HTML file to write.
        layers : Layers, optional
            The plan to draw under the findings; default the validated plan.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        import html

        import folium

        from gridgis.maps import add_features, add_grids, add_legend, district_map, save_map

        layers = layers if layers is not None else self.layers
        found = self.findings.to_crs(4326) if not self.findings.empty else self.findings
        if len(found):
            minx, miny, maxx, maxy = found.total_bounds
            pad = max(0.002, 0.15 * max(maxx - minx, maxy - miny))
            m = district_map(bounds=(minx - pad, miny - pad, maxx + pad, maxy + pad))
        else:
            m = district_map(layers)
        if layers is not None:
            add_grids(m, layers.grids)
        labels = {"error": "错误 error", "warning": "警告 warning"}
        drawn = []
        for severity in reversed(SEVERITIES):
            part = found[found["severity"] == severity] if len(found) else found
            if not len(part):
                continue
            part = part.assign(figure=[f"{v:,.2f} {u}" for v, u in
                                       zip(part["measure"], part["unit"], strict=True)])
            add_features(m, part, name=f"{labels[severity]} ({len(part)})",
                         colour=SEVERITY_COLOURS[severity],
                         fields=["rule", "codes", "figure", "message"],
                         aliases=["规则 rule", "编码 codes", "量 measure", "说明 message"],
                         fill_opacity=0.7, weight=2.5, radius=7)
            drawn.append((f"{labels[severity]}（{len(part)}）", SEVERITY_COLOURS[severity]))
        add_legend(m, "校验问题 findings", list(reversed(drawn)) or [("无问题 none", "#9ecae1")])
        zh = "无错误" if self.ok else f"{len(self.errors)} 个错误"
        title = (f"网格方案校验：{zh}，{len(self.findings) - len(self.errors)} 个警告"
                 f"（{len(self.rules)} 条规则）")
        m.get_root().html.add_child(folium.Element(
            "<div style='position:fixed;top:10px;left:60px;z-index:1000;background:#fff;"
            "padding:4px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
            f"font:15px sans-serif'><b>{html.escape(title)}</b></div>"))
        return save_map(m, path)
