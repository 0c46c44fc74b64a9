"""Similar-case search: words, BM25 against substring on the labelled set, filters, scope."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gridgis.mediation import case_scope
from gridgis.mediation.evaluation import evaluate, labelled_queries, ndcg_at, recall_at
from gridgis.mediation.search import MODEL_BOOST, CaseIndex, index_of_store, substring_search
from gridgis.mediation.text import tokenize
from gridgis.people import StaffMember


def test_words_keep_the_field_terms_and_fold_synonyms():
    assert "伤残补助金" in tokenize("要求支付伤残补助金")
    assert "拖欠工资" in tokenize("工人讨薪")
    assert tokenize("车祸") == ["交通事故"]
    assert not [w for w in tokenize("张某与李某因琐事，发生争吵。") if w.endswith("某")]


def test_metrics():
    assert ndcg_at([2, 2, 0], [2, 2, 2]) == pytest.approx(
        (3 + 3 / np.log2(3)) / (3 + 3 / np.log2(3) + 3 / 2))
    assert ndcg_at([0, 0], [2]) == 0
    assert recall_at([2, 0, 2, 1], relevant=3, k=4) == pytest.approx(2 / 3)
    assert recall_at([2] * 10, relevant=500) == 1


def test_bm25_beats_substring_on_the_labelled_set(mediation_sample, case_index):
    queries = labelled_queries()
    assert len(queries) >= 200
    got = evaluate(mediation_sample.cases, queries, index=case_index)
    bm25 = got.loc["bm25 (jieba + bm25s)"]
    for name in ("substring, whole query", "substring, every word"):
        assert bm25["ndcg@10"] > got.loc[name, "ndcg@10"] + 0.1
        assert bm25["recall@10"] > got.loc[name, "recall@10"] + 0.1
    assert bm25["ndcg@10"] > 0.8


def test_filters_and_scope(mediation_sample, case_index):
    cases = mediation_sample.cases.set_index("case_id")
    town = cases["grid_code"].str[:9].value_counts().index[0]
    start, end = dt.datetime(2025, 1, 1), dt.datetime(2025, 7, 1)
    hits = case_index.search("手术 医院 赔偿", k=50, dispute_type="M06", area=town,
                             start=start, end=end)
    assert hits
    for h in hits:
        row = cases.loc[h.case_id]
        assert row["dispute_type"] == "M06" and row["grid_code"].startswith(town)
        assert start <= row["received_at"] < end
    township = StaffMember("jd", "镇", "township", town)
    seen = case_index.search("患者死亡 家属", k=200, scope=case_scope(township))
    assert seen and not any(cases.loc[h.case_id, "sensitive"] for h in seen)
    assert all(cases.loc[h.case_id, "grid_code"].startswith(town) for h in seen)
    county = StaffMember("qx", "县", "command_centre", town[:6])
    assert any(cases.loc[h.case_id, "sensitive"] for h in case_index.search(
        "患者死亡 家属", k=200, scope=case_scope(county)))
    assert case_index.search("", k=5) == []
    assert case_index.search("，。！", k=5) == []


def test_model_cases_are_boosted(mediation_sample):
    import pandas as pd

    cases = mediation_sample.cases.head(400).copy()
    cases["model_case"] = False
    twin = cases.head(1).assign(case_id="TJ999999999", model_case=True)
    cases = pd.concat([cases, twin], ignore_index=True)
    index = CaseIndex(cases)
    hits = index.search(cases.iloc[0]["facts"], k=2)
    assert hits[0].case_id == "TJ999999999"
    assert hits[0].score == pytest.approx(hits[1].score * (1 + MODEL_BOOST), rel=1e-5)


def test_words_are_segmented_once_and_stored(mediation_store, case_index):
    assert len(mediation_store.words()) == mediation_store.count()
    again = index_of_store(mediation_store)
    assert again.new_words == {}
    q = "楼上漏水 天花板"
    assert [h.case_id for h in again.search(q)] == [h.case_id for h in case_index.search(q)]


def test_substring_search_is_the_plain_box(mediation_sample):
    cases = mediation_sample.cases
    got = substring_search(cases, "漏水", k=5)
    assert got and all("漏水" in " ".join(cases.set_index("case_id").loc[c, ["title", "facts"]])
                       or "漏水" in str(cases.set_index("case_id").loc[c, "claim"]) for c in got)
    assert substring_search(cases, "楼上漏水 天花板") == []
