"""Chinese words of mediation texts: jieba with the field's word list, synonyms folded.

The domain word list (``data/mediation_words.csv``: 赡养费, 宅基地, 伤残补助金,
预付卡 …) keeps the field's terms whole, and ``data/mediation_synonyms.csv``
folds everyday words onto the term the case files use (欠薪 and 讨薪 onto
拖欠工资, 车祸 onto 交通事故), so a mediator's own words find the cases.
Punctuation, numbers and function words are dropped.
"""

from __future__ import annotations

import csv
import logging
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import jieba

__all__ = ["STOPWORDS", "synonyms", "tokenize", "tokenize_many", "tokenizer"]

_STOP = (
    "的 了 在 和 与 及 其 等 被 将 为 是 对 后 于 因 并 向 由 系 已 不 未 也 又 就 都 而 或 以 之 "
    "其家 双方 一方 对方 某 某某 该 此 这 那 有 无 时 中 上 下 内 个 名 元 日 月 年 共计 共 "
    "要求 反映 称 认为 发生 多次 情况 问题 进行 一个 一次性")
STOPWORDS = frozenset(_STOP.split())
"""Words that say nothing about the dispute."""
_LOCK = threading.Lock()


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("gridgis.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """Everyday word → the term the case files use."""
    return {r["word"]: r["canonical"] for r in _rows("mediation_synonyms.csv")}


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """The jieba tokenizer with the domain words and synonyms added (built once a process)."""
    jieba.setLogLevel(logging.WARNING)
    with _LOCK:
        tok = jieba.Tokenizer()
        tok.initialize()
        for r in _rows("mediation_words.csv"):
            tok.add_word(r["word"], int(r["freq"]), r["tag"])
        for word in synonyms():
            tok.add_word(word, 20000, "n")
    return tok


def _keep(word: str) -> bool:
    if word.endswith("某") and len(word) <= 3:  # a party as published cases name it (张某)
        return False
    return bool(word.strip()) and word not in STOPWORDS and any(
        "\u4e00" <= c <= "\u9fff" or c.isalpha() for c in word)


def tokenize(text: str) -> list[str]:
    """The words of a text that a search matches on.

    jieba's search mode: a long word and the words within it (赔偿损失 gives
    赔偿, 损失 and 赔偿损失), so a query's short words meet a text's long ones.

    Examples
    --------
    >>> tokenize("楼上卫生间漏水，天花板霉变脱落")
    ['楼上', '卫生间', '渗漏', '天花板', '霉变', '脱落']
    >>> tokenize("包工头失联，讨薪无果")[-3:]
    ['失联', '拖欠工资', '无果']
    """
    syn = synonyms()
    words = tokenizer().lcut_for_search(text.lower(), HMM=True)
    return [syn.get(w, w) for w in words if _keep(w)]


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    """:func:`tokenize` of each text."""
    return [tokenize(t) for t in texts]
