"""The bulletin's charts: matplotlib figures rendered to inline SVG (no file, no network).

Text stays text in the SVG (``svg.fonttype: none``), so the reader's own
fonts draw the Chinese labels; matplotlib lays them out with the first CJK
font it finds on the machine (Noto Sans CJK, Source Han Sans, Microsoft
YaHei, SimHei, PingFang, WenQuanYi), or DejaVu Sans when there is none.
Figures are built with :class:`matplotlib.figure.Figure`, never pyplot: no
global state, no window.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CJK_FONTS", "bar_chart", "line_chart", "paired_bar_chart"]

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei",
             "PingFang SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")
"""Fonts with Chinese glyphs, tried in this order for the layout."""
THIS, BEFORE = "#1f5fa8", "#a9c4e4"


@functools.cache
def _families() -> list[str]:
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in have] + ["DejaVu Sans"]


def _svg(fig: Figure) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "gridgis"}), \
            warnings.catch_warnings():
        # without a CJK font the layout measures Chinese with DejaVu's widths; the SVG keeps
        # the text and the browser draws it
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return re.sub(r"^.*?(?=<svg)", "", text, count=1, flags=re.S)


def _figure(rows: int) -> tuple[Figure, Axes]:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": _families(), "font.size": 9}):
        fig = Figure(figsize=(7.2, max(1.6, 0.32 * rows + 0.9)), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def _finish(ax: Axes, labels: Sequence[str], *, percent: bool, title: str) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.set_yticks(np.arange(len(labels)), labels=list(labels))
    ax.invert_yaxis()
    ax.set_title(title, loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))


def paired_bar_chart(labels: Sequence[str], this: Sequence[float], before: Sequence[float], *,
                     title: str, names: tuple[str, str] = ("本期", "上期"),
                     percent: bool = True) -> str:
    """Horizontal bars of two periods side by side, as SVG text (NaN bars are left out)."""
    import matplotlib

    with matplotlib.rc_context({"font.family": _families(), "font.size": 9}):
        fig, ax = _figure(len(labels))
        y = np.arange(len(labels))
        a, b = np.asarray(this, float), np.asarray(before, float)
        ax.barh(y - 0.2, np.nan_to_num(a), height=0.38, color=THIS, label=names[0])
        ax.barh(y + 0.2, np.nan_to_num(b), height=0.38, color=BEFORE, label=names[1])
        for yy, v in zip(y - 0.2, a, strict=True):
            if np.isfinite(v):
                ax.annotate(f"{v:.1%}" if percent else f"{v:.1f}", (v, yy),
                            xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        _finish(ax, labels, percent=percent, title=title)
        if percent:
            ax.set_xlim(0, 1.12)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str,
              percent: bool = False, limit: float | None = None) -> str:
    """Horizontal bars of one series, largest first as given, as SVG text."""
    import matplotlib

    with matplotlib.rc_context({"font.family": _families(), "font.size": 9}):
        fig, ax = _figure(len(labels))
        v = pd.Series(np.asarray(values, float))
        ax.barh(np.arange(len(labels)), v.fillna(0), color=THIS,
                height=0.6)
        for yy, x in enumerate(v):
            if np.isfinite(x):
                ax.annotate(f"{x:.1%}" if percent else f"{x:.1f}", (x, yy),
                            xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        _finish(ax, labels, percent=percent, title=title)
        if limit is not None:
            ax.set_xlim(0, limit)
        return _svg(fig)


LINE_COLOURS = ("#1f5fa8", "#2c9f45", "#e6a700", "#d7301f", "#7b3294", "#555555")


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], *, title: str,
               percent: bool = True) -> str:
    """One line per series over ``labels`` (weeks), as SVG text; NaN points break the line.

    Examples
    --------
    >>> svg = line_chart(["11-23", "11-30"], {"办结率": [0.9, 0.95]}, title="周趋势")
    >>> svg.startswith("<svg") and "办结率" in svg
    True
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    with matplotlib.rc_context({"font.family": _families(), "font.size": 9}):
        fig = Figure(figsize=(7.2, 2.8), layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(labels))
        for (name, values), colour in zip(series.items(), LINE_COLOURS * 3, strict=False):
            ax.plot(x, np.asarray(values, float), marker="o", markersize=3, color=colour,
                    label=name)
        ax.set_xticks(x, labels=list(labels))
        ax.set_title(title, loc="left")
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(0, 1.05)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig)
