"""Keywords from a document's title and text, segmented with jieba.

Segmentation is the whole game in Chinese: a keyword list that shows ``年关``
for a title beginning ``2023年关于`` tells the reader the site cannot read.
Numbers with their unit (``2023年``) are cut out before jieba sees the text, a
small project dictionary adds words jieba's general dictionary lacks (``群团组织``),
and function words are dropped.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import cache
from importlib import resources

import jieba
import jieba.analyse

TITLE_WEIGHT = 3  # a title word counts as much as three mentions in the body
MAX_TEXT_CHARS = 60_000  # keywords settle long before the end of a long document
DEFAULT_TOP_K = 8

# A number with the unit that follows it, kept as one token so the unit's
# character is not taken as the start of a word ("2023年关于" must not give "年关").
_NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:年度|年|月份|月|日|号|个|次|名|人|元|万|亿|%|％|届|期|篇|页|章|节|条|项)?"
)
_ONLY_DIGITS_OR_PUNCT = re.compile(r"^[\W\d_]+$")

_lock = threading.Lock()


def _data_lines(name: str) -> list[str]:
    text = resources.files("wenku").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_data_lines("stopwords.txt"))


@cache
def _tokenizer() -> jieba.Tokenizer:
    """jieba's default tokenizer with the project dictionary, loaded once per process."""
    with _lock:
        jieba.setLogLevel(60)
        jieba.initialize()
        for line in _data_lines("userdict.txt"):
            word, freq, *tag = line.split()
            jieba.add_word(word, int(freq), tag[0] if tag else None)
        return jieba.dt


def segment(text: str) -> list[str]:
    """Words of ``text`` in order, numbers with units kept whole, whitespace dropped."""
    tokenizer = _tokenizer()
    words: list[str] = []
    position = 0
    for match in _NUMBER_WITH_UNIT.finditer(text):
        words.extend(tokenizer.lcut(text[position : match.start()]))
        words.append(match.group().replace(" ", ""))
        position = match.end()
    words.extend(tokenizer.lcut(text[position:]))
    return [word for word in words if word.strip()]


def is_keyword_candidate(word: str) -> bool:
    # Short Latin tokens are mostly noise ("of", "pp") unless written as an acronym.
    min_length = 3 if word.isascii() and not word.isupper() else 2
    return (
        len(word) >= min_length
        and not _ONLY_DIGITS_OR_PUNCT.match(word)
        and not _NUMBER_WITH_UNIT.fullmatch(word)
        and word.lower() not in stop_words()
    )


def extract_keywords(title: str, text: str, *, top_k: int = DEFAULT_TOP_K) -> list[str]:
    """Up to ``top_k`` keywords, the title's words weighed above the body's.

    TF-IDF with jieba's IDF table over the segmented words; candidates are
    segmented with our own rules first, so jieba's analyser only ranks them.
    """
    _tokenizer()
    body = text[:MAX_TEXT_CHARS]
    title_words = [w for w in segment(title) if is_keyword_candidate(w)]
    body_words = [w for w in segment(body) if is_keyword_candidate(w)]
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}  # case-folded word -> the spelling seen first
    for weight, words in ((TITLE_WEIGHT, title_words), (1, body_words)):
        for word in words:
            key = word.casefold()
            shown.setdefault(key, word)
            counts[key] += weight
    if not counts:
        return []
    idf = jieba.analyse.default_tfidf.idf_freq
    median_idf = jieba.analyse.default_tfidf.median_idf
    first_seen = {key: index for index, key in enumerate(shown)}
    ranked = sorted(counts, key=lambda k: (-counts[k] * idf.get(k, median_idf), first_seen[k]))
    return [shown[key] for key in ranked[:top_k]]
