"""The bulletin as one self-contained HTML page (inline CSS and SVG charts; no link out)."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridgis.analysis.assessment import MEASURES
from gridgis.analysis.seed_figures import PUBLISHED
from gridgis.bulletin.charts import bar_chart, paired_bar_chart
from gridgis.bulletin.columns import SHOWN, change, heading, kind_of, shown
from gridgis.bulletin.content import LEVEL_NAMES, Bulletin, top_and_bottom

__all__ = ["bulletin_html"]

STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
SimHei,sans-serif;margin:2em auto;max-width:60em;color:#222;line-height:1.5;padding:0 1em}
h1{font-size:1.6em;text-align:center;margin-bottom:.2em}
.meta{text-align:center;color:#555;margin-bottom:1.5em}
h2{font-size:1.2em;border-left:4px solid #1f5fa8;padding-left:.5em;margin-top:2em}
h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em;width:100%}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#eef3fa}
td.text,th.text{text-align:left}
.up{color:#1a7f37}.down{color:#b42318}
.note{color:#555;font-size:.85em}
figure{margin:.5em 0 1.5em}
svg{max-width:100%;height:auto}
"""
RATE_FIGURES = ("closure_rate", "closure_rate_due", "handling_rate", "township_or_below_rate",
                "satisfied_rate", "deploy_on_time_rate", "progress_on_time_rate",
                "resolve_on_time_rate", "report_in_rate")
LOWER_IS_BETTER = {"overdue", "returns", "reopened", "supervisions", "escalated"}


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f'<th class="{"text" if kind_of(c) is None else "num"}">{_e(heading(c))}</th>'
                   for c in cols)
    body = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td class="{"text" if kind_of(c) is None else "num"}">'
            f"{_e(shown(row[c], kind_of(c)))}</td>" for c in cols)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _figures(b: Bulletin) -> str:
    rows = []
    for key, r in b.figures.iterrows():
        kind = r["kind"]
        ch = r["change"]
        good = np.isfinite(ch) and ch != 0 and ((ch > 0) != (key in LOWER_IS_BETTER))
        css = "" if not np.isfinite(ch) or ch == 0 else (' class="up"' if good
                                                           else ' class="down"')
        ref = "—" if key not in PUBLISHED else shown(r["published"], kind)
        rows.append(f'<tr><td class="text">{_e(r["name"])}</td><td>{_e(shown(r["this"], kind))}'
                    f'</td><td>{_e(shown(r["previous"], kind))}</td><td{css}>'
                    f"{_e(change(ch, kind))}</td><td>{_e(ref)}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("指标", f"本期（{_e(b.period.label)}）",
                                              f"上期（{_e(b.previous.label)}）", "增减",
                                              "参考（公开数据）"))
    refs = "".join(f"<li>{_e(text)}</li>" for _, text in PUBLISHED.values())
    rates = b.figures.loc[[k for k in RATE_FIGURES if k in b.figures.index]]
    rates = rates[np.isfinite(rates["this"]) | np.isfinite(rates["previous"])]
    chart = paired_bar_chart(list(rates["name"]), rates["this"], rates["previous"],
                             title="主要指标：本期与上期") if len(rates) else ""
    return (f"<table><tr>{head}</tr>{''.join(rows)}</table>"
            f'<ul class="note">{refs}</ul><figure>{chart}</figure>')


def _platforms(b: Bulletin) -> str:
    p = b.platforms.copy()
    p["previous_rate"] = b.previous_platforms["handling_rate"].reindex(p.index)
    table = _table(p, ("name_zh", "valid", "share", "handled", "handling_rate", "closed",
                       "closure_rate"))
    chart = paired_bar_chart(list(p["name_zh"]), p["handling_rate"], p["previous_rate"],
                             title="四个平台处置率：本期与上期")
    return f"{table}<figure>{chart}</figure>"


def _ranking(b: Bulletin, level: str, n: int = 10) -> str:
    table = b.levels.get(level)
    if table is None or table.empty:
        return '<p class="note">无数据 / no data</p>'
    top, bottom = top_and_bottom(table, n)
    unranked = int(table["score"].isna().sum())
    columns = SHOWN[level]
    parts = []
    if bottom.empty:
        parts.append(_table(top, columns))
    else:
        parts += [f"<h3>前 {n} 名</h3>", _table(top, columns), f"<h3>后 {n} 名</h3>",
                  _table(bottom, columns)]
    if unranked:
        parts.append(f'<p class="note">另有 {unranked} 个{LEVEL_NAMES[level]}本期无可评分的事项，'
                     f"未参与排名 / {unranked} without a score are not ranked.</p>")
    if level == "township" and len(top):
        ranked = table[table["score"].notna()]
        parts.append("<figure>" + bar_chart(list(ranked["name"]), ranked["score"],
                                            title="乡镇(街道)综合得分", limit=100) + "</figure>")
    return "".join(parts)


def _report_in(b: Bulletin) -> str:
    r = b.report_in
    if r.empty:
        return ('<p class="note">本期没有吹哨报到记录（或数据源没有吹哨字段） / no whistle call '
                "in the period (or the source has no whistle calls).</p>")
    table = _table(r, SHOWN["report_in"])
    rated = r[r["report_in_rate"].notna()].head(20)
    chart = "" if rated.empty else "<figure>" + bar_chart(
        list(rated["name"]), rated["report_in_rate"], title="部门按时报到率", percent=True,
        limit=1.12) + "</figure>"
    return table + chart


def _notes(b: Bulletin) -> str:
    w = b.weights.copy()
    w["name"] = [MEASURES[m].zh for m in w.index]
    w["direction"] = w["direction"].map({"higher": "越高越好", "lower": "越低越好"})
    weights = _table(w, ("name", "weight", "direction"))
    return (
        '<ul class="note">'
        "<li>本通报统计本期受理（上报）的事项，指标截至"
        f"{_e(b.now.strftime('%Y-%m-%d %H:%M'))}（上期截至 "
        f"{_e(b.previous_now.strftime('%Y-%m-%d %H:%M'))}）；不予受理的事项不计入有效事项。</li>"
        "<li>办结率 = 已结案事项 / 全部有效事项；到期事项办结率只计办理期限已到的事项。</li>"
        "<li>按时派遣：派遣时间不晚于派遣时限（1-3-0 的“1”）；按时反馈：首次进展反馈"
        "或办结不晚于反馈时限（“3”）；按时办结：办结不晚于办理时限。</li>"
        "<li>四个平台处置率 = 已处置（承办单位处置完毕或已结案）/ 有效事项。</li>"
        "<li>乡镇(街道)及以下解决率 = 结案时由社区或乡镇持有的事项 / 已结案事项。</li>"
        "<li>群众满意率 = 回访接通并评为 4–5 分的 / 回访接通并评分的。</li>"
        "<li>按时报到率 = 在时限内报到的吹哨 / 已报到或已过时限的吹哨。</li>"
        "<li>网格员：事件记录写明上报或核查网格员的，计入其本人；未写明的（存档、迁入的事项），"
        "由该网格的网格员均分，故可有小数。</li>"
        "<li>综合得分：各指标先化为 0–1（比率原值，满意度 (均值−1)/4，次数按本层级最大值），"
        "越低越好的取 1 减之，按下表权重加权平均后乘以 100；缺少的指标不计权重。</li>"
        f"</ul>{weights}")


def bulletin_html(b: Bulletin) -> str:
    """The bulletin as a complete HTML document (UTF-8 text; no external resource).

    Parameters
    ----------
    b : Bulletin
        :func:`~gridgis.bulletin.content.build_bulletin`.

    Returns
    -------
    str
    """
    sections = [
        ("一、主要指标", _figures(b)),
        ("二、四个平台处置情况", _platforms(b)),
        ("三、乡镇(街道)排名", _ranking(b, "township")),
        ("四、社区(村)排名", _ranking(b, "community")),
        ("五、承办单位排名", _ranking(b, "unit")),
        ("六、网格员排名", _ranking(b, "grid_worker")),
        ("七、部门吹哨报到情况", _report_in(b)),
        ("说明", _notes(b)),
    ]
    body = "".join(f"<h2>{_e(title)}</h2>{content}" for title, content in sections)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(b.title)}（{_e(b.period.label)}）</title><style>{STYLE}</style></head>"
        f"<body><h1>{_e(b.title)}</h1>"
        f'<div class="meta">{_e(b.period.label)}（{_e(b.period.start)} 至 {_e(b.period.end)}）'
        f"<br>本期受理事项 {b.matters:,} 件 · 数据来源：{_e(b.source)}"
        f"<br>生成时间 {_e(b.generated_at.strftime('%Y-%m-%d %H:%M'))}</div>"
        f"{body}</body></html>\n")
