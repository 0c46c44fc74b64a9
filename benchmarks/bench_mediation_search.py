"""Similar-case search at scale: bm25s against SQLite FTS5 and the substring box.

Makes N cases (default 100,000) of the sample district from the templates,
segments their words once (jieba with the domain list; the time is printed),
then builds both BM25 engines over the same words and runs the labelled
queries of :mod:`gridgis.mediation.evaluation` through each, printing build
time, p50/p99 query latency, nDCG@10 and recall@10, and the ratios of
latency against FTS5 and against the substring search (pandas
``str.contains`` over the case texts, newest first).

Usage::

    python benchmarks/bench_mediation_search.py [--cases 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gridgis.mediation.evaluation import labelled_queries, ndcg_at, recall_at
from gridgis.mediation.sample import sample_mediation
from gridgis.mediation.search import CaseIndex, case_text
from gridgis.mediation.text import tokenize, tokenize_many
from gridgis.sample import sample_district


def fts5_index(ids: np.ndarray, words: list[list[str]], types: np.ndarray
               ) -> sqlite3.Connection:
    """An FTS5 table of the same words (space-separated: unicode61 splits on spaces)."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE VIRTUAL TABLE cases USING fts5(words, case_id UNINDEXED, "
                 "dispute_type UNINDEXED, tokenize='unicode61')")
    conn.executemany("INSERT INTO cases(words, case_id, dispute_type) VALUES (?, ?, ?)",
                     zip((" ".join(w) for w in words), ids.tolist(), types.tolist(),
                         strict=True))
    conn.commit()
    return conn


def fts5_search(conn: sqlite3.Connection, query: str, k: int = 10) -> list[str]:
    """FTS5's bm25() ranking, any of the query's words (OR), best first."""
    words = dict.fromkeys(tokenize(query))
    if not words:
        return []
    match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    rows = conn.execute("SELECT case_id FROM cases WHERE cases MATCH ? ORDER BY bm25(cases) "
                        "LIMIT ?", (match, k)).fetchall()
    return [r[0] for r in rows]


def timed(run, queries: list[str], repeat: int) -> tuple[list[list[str]], np.ndarray]:
    out, times = [], []
    for _ in range(repeat):
        out = []
        for q in queries:
            t = time.perf_counter()
            out.append(run(q))
            times.append(time.perf_counter() - t)
    return out, np.array(times) * 1e3


def quality(found: list[list[str]], labelled, scenario: dict, dtype: dict,
            by_scenario: dict, by_type: dict) -> tuple[float, float]:
    nd, rc = [], []
    for lq, ids in zip(labelled, found, strict=True):
        grades = [2 if scenario[c] == lq.scenario else 1 if dtype[c] == lq.dispute_type
                  else 0 for c in ids]
        top = by_scenario.get(lq.scenario, 0)
        available = [2] * min(10, top) + [1] * min(10, by_type[lq.dispute_type] - top)
        nd.append(ndcg_at(grades, available))
        rc.append(recall_at(grades, top))
    return float(np.mean(nd)), float(np.mean(rc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    layers = sample_district(scale=0.25)
    per_year = max(10, round(args.cases / 3.3))
    cases = sample_mediation(layers, per_year=per_year).cases
    print(f"cases: {len(cases)} ({time.perf_counter() - started:.1f} s to make)")
    t = time.perf_counter()
    words = tokenize_many(case_text(cases))
    segment_s = time.perf_counter() - t
    print(f"segmenting (jieba, once, kept in the store): {segment_s:.1f} s, "
          f"{segment_s / len(cases) * 1e3:.2f} ms a case")
    ids = cases["case_id"].to_numpy(str)
    t = time.perf_counter()
    index = CaseIndex(cases, words=dict(zip(ids, words, strict=True)))
    bm25s_build = time.perf_counter() - t
    t = time.perf_counter()
    conn = fts5_index(ids, words, cases["dispute_type"].to_numpy(str))
    fts5_build = time.perf_counter() - t
    texts = case_text(cases)
    order = cases.sort_values(["received_at", "case_id"], ascending=[False, True]).index
    texts_newest, ids_newest = texts.loc[order].reset_index(drop=True), ids[order]

    def substring(q: str) -> list[str]:
        hit = texts_newest.str.contains(q.strip(), regex=False).to_numpy()
        return ids_newest[hit][:10].tolist()

    labelled = labelled_queries()
    queries = [lq.query for lq in labelled]
    scenario = dict(zip(ids, cases["scenario"], strict=True))
    dtype = dict(zip(ids, cases["dispute_type"], strict=True))
    by_scenario = cases.groupby("scenario").size().to_dict()
    by_type = cases.groupby("dispute_type").size().to_dict()
    rows = []
    engines = {
        "gridgis (jieba + bm25s)": (lambda q: [h.case_id for h in index.search(q)],
                                    bm25s_build),
        "sqlite fts5 bm25()": (lambda q: fts5_search(conn, q), fts5_build),
        "substring (str.contains)": (substring, 0.0),
    }
    for name, (run, build) in engines.items():
        found, ms = timed(run, queries, args.repeat)
        nd, rc = quality(found, labelled, scenario, dtype, by_scenario, by_type)
        rows.append({"engine": name, "build_s": round(build, 2),
                     "p50_ms": round(float(np.percentile(ms, 50)), 3),
                     "p99_ms": round(float(np.percentile(ms, 99)), 3),
                     "ndcg@10": round(nd, 3), "recall@10": round(rc, 3)})
    table = pd.DataFrame(rows).set_index("engine")
    print(f"labelled queries: {len(queries)} × {args.repeat} runs, {len(cases)} cases")
    print(table.to_string())
    ours = table.loc["gridgis (jieba + bm25s)"]
    for peer in ("sqlite fts5 bm25()", "substring (str.contains)"):
        print(f"RATIO p50 {peer}/gridgis: {table.loc[peer, 'p50_ms'] / ours['p50_ms']:.2f}x; "
              f"p99: {table.loc[peer, 'p99_ms'] / ours['p99_ms']:.2f}x")


if __name__ == "__main__":
    main()
