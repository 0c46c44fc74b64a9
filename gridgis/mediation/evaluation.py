"""How well similar-case search finds the cases a mediator means: a labelled set from templates.

Each query comes from a scenario of :mod:`gridgis.mediation._templates`: the
phrasings a mediator would type (``queries``), and more made from the
scenario's own word lists (two details and a word of its title). A case
written from the same scenario is relevant (grade 2), one of the same dispute
type partly (grade 1). Reported: nDCG@10 (graded) and recall@10 (the share
of the grade-2 cases found, out of at most 10), for BM25 and for the plain
substring search box (the whole query, and every space-separated word of it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridgis.mediation._templates import SCENARIOS
from gridgis.mediation.search import CaseIndex, case_text

__all__ = ["LabelledQuery", "evaluate", "labelled_queries", "ndcg_at", "recall_at"]


@dataclass(frozen=True)
class LabelledQuery:
    """A query and the scenario whose cases answer it."""

    query: str
    scenario: str
    dispute_type: str


def labelled_queries(*, extra_per_scenario: int = 4, seed: int = 18) -> list[LabelledQuery]:
    """The hand-written phrasings of every scenario, and some made from its word lists.

    Examples
    --------
    >>> qs = labelled_queries()
    >>> len(qs) >= 200
    True
    """
    rnd = random.Random(seed)
    out = [LabelledQuery(q, s.key, s.dispute_type) for s in SCENARIOS for q in s.queries]
    for s in SCENARIOS:
        keys = [k for k, v in s.slots.items() if any(len(x) > 1 for x in v)]
        core = s.title.split("}")[-1].replace("纠纷", "") or s.title
        made: set[str] = set()
        for _ in range(extra_per_scenario * 5):
            if len(made) >= extra_per_scenario or not keys:
                break
            picked = rnd.sample(keys, min(2, len(keys)))
            words = [rnd.choice([x for x in s.slots[k] if len(x) > 1]) for k in picked]
            made.add(" ".join([*words, core]) if rnd.random() < .5 else " ".join(words))
        out.extend(LabelledQuery(q, s.key, s.dispute_type) for q in sorted(made))
    return out


def _dcg(grades: Sequence[int]) -> float:
    return float(sum((2 ** g - 1) / np.log2(i + 2) for i, g in enumerate(grades)))


def ndcg_at(ranked_grades: Sequence[int], available: Sequence[int], k: int = 10) -> float:
    """nDCG@k of a ranking's grades against the best ranking of the available grades."""
    ideal = _dcg(sorted(available, reverse=True)[:k])
    return 0.0 if ideal == 0 else _dcg(list(ranked_grades)[:k]) / ideal


def recall_at(ranked_grades: Sequence[int], relevant: int, k: int = 10, grade: int = 2
              ) -> float:
    """The share of the top-grade cases found in the first k, out of at most k."""
    if relevant == 0:
        return 0.0
    return sum(1 for g in list(ranked_grades)[:k] if g >= grade) / min(k, relevant)


def evaluate(cases: pd.DataFrame, queries: Sequence[LabelledQuery], *,
             index: CaseIndex | None = None, k: int = 10) -> pd.DataFrame:
    """nDCG@k and recall@k of BM25 and the substring searches over the labelled queries.

    Parameters
    ----------
    cases : pandas.DataFrame
        The sample's cases with their ``scenario`` (the label).
    queries : sequence of LabelledQuery
    index : CaseIndex, optional
        Built from ``cases`` when not given.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``ndcg@k``, ``recall@k``, ``answered`` (the share of
        queries with at least one result), ``queries``.
    """
    index = index or CaseIndex(cases)
    scenario = dict(zip(cases["case_id"], cases["scenario"], strict=True))
    dtype = dict(zip(cases["case_id"], cases["dispute_type"], strict=True))
    texts = case_text(cases).to_numpy(str)
    newest = np.lexsort((cases["case_id"].to_numpy(str),
                         -pd.to_datetime(cases["received_at"]).to_numpy("int64")))
    ids = cases["case_id"].to_numpy(str)
    by_scenario = cases.groupby("scenario").size().to_dict()
    by_type = cases.groupby("dispute_type").size().to_dict()

    def substring(words: list[str]) -> list[str]:
        hit = np.ones(len(texts), bool)
        for w in words:
            hit &= np.char.find(texts, w) >= 0
        return ids[newest[hit[newest]]][:k].tolist()

    methods: dict[str, Callable[[str], list[str]]] = {
        "bm25 (jieba + bm25s)": lambda q: [h.case_id for h in index.search(q, k=k)],
        "substring, whole query": lambda q: substring([q.strip()]),
        "substring, every word": lambda q: substring(q.split()),
    }
    rows = []
    for name, run in methods.items():
        ndcg, recall, answered = [], [], []
        for lq in queries:
            found = run(lq.query)
            grades = [2 if scenario[c] == lq.scenario else 1 if dtype[c] == lq.dispute_type
                      else 0 for c in found]
            top = by_scenario.get(lq.scenario, 0)
            available = [2] * min(k, top) + [1] * min(k, by_type.get(lq.dispute_type, 0) - top)
            ndcg.append(ndcg_at(grades, available, k))
            recall.append(recall_at(grades, top, k))
            answered.append(bool(found))
        rows.append({"method": name, f"ndcg@{k}": float(np.mean(ndcg)),
                     f"recall@{k}": float(np.mean(recall)),
                     "answered": float(np.mean(answered)), "queries": len(queries)})
    return pd.DataFrame(rows).set_index("method")
