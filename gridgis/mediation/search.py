"""Similar-case search (类案检索): BM25 over jieba words, filtered, model cases boosted.

:class:`CaseIndex` holds the cases' words in a ``bm25s`` sparse index (the
cases sorted by grid code, so an area is a contiguous range found by binary
search); a query scores every case at once, the filters (dispute type,
area, time, the reader's scope) mask the scores, and a model case
(典型案例) that matches gets its score raised by ``model_boost``.
:func:`substring_search` is the plain search box it is measured against.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import bm25s
import numpy as np
import pandas as pd

from gridgis.mediation.access import CaseScope
from gridgis.mediation.store import MediationStore
from gridgis.mediation.text import tokenize, tokenize_many

__all__ = ["INDEX_COLUMNS", "MODEL_BOOST", "CaseIndex", "Hit", "case_text", "index_of_store",
           "substring_search"]

INDEX_COLUMNS = ["case_id", "dispute_type", "title", "facts", "claim", "terms", "grid_code",
                 "received_at", "model_case", "sensitive", "outcome"]
"""The case columns an index is built from."""
MODEL_BOOST = 0.25
"""A matching model case's score is multiplied by 1 + this."""


def case_text(frame: pd.DataFrame) -> pd.Series:
    """The text a case is found by: title, facts, claim and agreed terms."""
    parts = [frame[c].fillna("") for c in ("title", "facts", "claim", "terms") if c in frame]
    out = parts[0]
    for p in parts[1:]:
        out = out + "。" + p
    return out


@dataclass(frozen=True)
class Hit:
    """One similar case: its row in the index and its score."""

    case_id: str
    score: float


class CaseIndex:
    """A BM25 index of mediation cases.

    Parameters
    ----------
    cases : pandas.DataFrame
        At least :data:`INDEX_COLUMNS` (``terms`` and ``outcome`` optional).
    referred_units : mapping, optional
        case id → the units it was referred to (the readers of unit staff).
    words : mapping, optional
        case id → its words (:func:`~gridgis.mediation.text.tokenize` of
        :func:`case_text`) where already segmented; the others are segmented here.
    k1, b : float
        BM25's parameters.
    """

    def __init__(self, cases: pd.DataFrame, *,
                 referred_units: Mapping[str, tuple[str, ...]] | None = None,
                 words: Mapping[str, list[str]] | None = None,
                 k1: float = 1.2, b: float = 0.75) -> None:
        frame = cases.sort_values(["grid_code", "case_id"], kind="stable").reset_index(drop=True)
        self.cases = frame
        self.case_ids = frame["case_id"].to_numpy(str)
        self.grid_codes = frame["grid_code"].to_numpy(str)
        self.types = frame["dispute_type"].to_numpy(str)
        self.received = pd.to_datetime(frame["received_at"]).to_numpy("datetime64[s]")
        self.model = frame["model_case"].to_numpy(bool)
        self.sensitive = frame["sensitive"].to_numpy(bool)
        self.referred = dict(referred_units or {})
        self.row_of = {c: i for i, c in enumerate(self.case_ids)}
        known = dict(words or {})
        missing = [i for i, c in enumerate(self.case_ids) if c not in known]
        if missing:
            made = tokenize_many(case_text(frame.iloc[missing]))
            known.update(zip(self.case_ids[missing], made, strict=True))
        self.new_words = {str(self.case_ids[i]): known[self.case_ids[i]] for i in missing}
        """The words segmented here (for the store to keep)."""
        self.retriever = bm25s.BM25(k1=k1, b=b)
        if len(frame):
            self.retriever.index([known[c] for c in self.case_ids], show_progress=False)
        self._lock = threading.Lock()  # bm25s' scoring keeps no state, but be safe on reuse

    def __len__(self) -> int:
        return len(self.case_ids)

    def _range(self, prefix: str) -> slice:
        lo = int(np.searchsorted(self.grid_codes, prefix, side="left"))
        hi = int(np.searchsorted(self.grid_codes, prefix + "\uffff", side="left"))
        return slice(lo, hi)

    def mask(self, *, scope: CaseScope | None = None, dispute_type: str | None = None,
             area: str | None = None, start: dt.datetime | None = None,
             end: dt.datetime | None = None, exclude: str | None = None) -> np.ndarray:
        """The cases that pass the filters and the reader's scope."""
        n = len(self)
        keep = np.ones(n, bool)
        if scope is not None:
            allowed = np.zeros(n, bool)
            for prefix in scope.area_codes:
                allowed[self._range(prefix)] = True
            if not scope.sensitive:
                allowed &= ~self.sensitive
            if scope.unit_ids:
                units = set(scope.unit_ids)
                for case_id, to in self.referred.items():
                    if units & set(to) and case_id in self.row_of:
                        allowed[self.row_of[case_id]] = True
            keep &= allowed
        if area:
            inside = np.zeros(n, bool)
            inside[self._range(area)] = True
            keep &= inside
        if dispute_type:
            keep &= self.types == dispute_type
        if start is not None:
            keep &= self.received >= np.datetime64(start, "s")
        if end is not None:
            keep &= self.received < np.datetime64(end, "s")
        if exclude is not None and exclude in self.row_of:
            keep[self.row_of[exclude]] = False
        return keep

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every case for ``query`` (model cases boosted)."""
        words = tokenize(query)
        if not words or not len(self):
            return np.zeros(len(self), np.float32)
        with self._lock:
            raw = self.retriever.get_scores(words)
        return np.where(self.model, raw * (1 + MODEL_BOOST), raw)

    def search(self, query: str, *, k: int = 10, **filters: object) -> list[Hit]:
        """The ``k`` best-scoring cases that pass the filters (none scoring zero).

        Parameters
        ----------
        query : str
            A mediator's words, or a case's own text.
        k : int
        **filters
            ``scope``, ``dispute_type``, ``area``, ``start``, ``end``, ``exclude``
            as for :meth:`mask`.
        """
        scores = self.scores(query)
        scores = np.where(self.mask(**filters), scores, 0)  # type: ignore[arg-type]
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.lexsort((self.case_ids[hits], -scores[hits]))]
        return [Hit(str(self.case_ids[i]), float(scores[i])) for i in hits]


def index_of_store(store: MediationStore) -> CaseIndex:
    """A :class:`CaseIndex` of every case of a store; words segmented here are stored.

    Scope and filters apply per query, so one index serves every reader.
    """
    cases = store.cases(columns=INDEX_COLUMNS)
    index = CaseIndex(cases, referred_units=store.referred_units(), words=store.words())
    if index.new_words:
        store.save_words(index.new_words)
    return index


def substring_search(cases: pd.DataFrame, query: str, *, k: int = 10,
                     texts: pd.Series | None = None) -> list[str]:
    """The plain search box: cases whose text contains ``query`` whole, newest first.

    Parameters
    ----------
    cases : pandas.DataFrame
    query : str
    k : int
    texts : pandas.Series, optional
        :func:`case_text` of ``cases`` when already made.
    """
    texts = case_text(cases) if texts is None else texts
    found = cases[texts.str.contains(query.strip(), regex=False)]
    found = found.sort_values(["received_at", "case_id"], ascending=[False, True])
    return found["case_id"].head(k).tolist()
