"""Text handling shared by every search backend: what is indexed, what is queried, snippets.

Both backends store the same text: a document's words as `keywords.segment` cuts
them, joined by single spaces. Search then compares whole words, so a query for
``研究生`` never matches ``研究 生命`` — the segmenter decided those characters
belong to different words.

Long words are also indexed by their dictionary sub-words (jieba's search-engine
mode): the project dictionary makes ``社区图书馆`` one word, and a reader searching
for ``图书馆`` must still find it. Sub-words are written after their word with a
leading mark character, which both tokenizers treat as a separator and which
snippets skip, so the stored text doubles as the text snippets are cut from.

An indexed *term* is a lower-cased run of letters and digits inside a word: the
same split SQLite's ``unicode61`` tokenizer makes, done here in Python for the
PostgreSQL backend, so both backends see identical terms.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import jieba.analyse
from django.utils.safestring import SafeString, mark_safe

from wenku.documents.pipeline import keywords

SUBWORD_MARK = "\x1f"
MAX_WORD_CHARS = 64  # longer "words" are base64, hashes or URLs nobody searches for
MAX_QUERY_CHARS = 200
# More terms only make the AND query emptier and the OR fallback slower; the
# rarest words carry the meaning of a sentence-long query.
MAX_QUERY_TERMS = 8
OR_FALLBACK_TERMS = 4

# jieba returns these as words of their own; they occur in nearly every Chinese
# text, so as query terms they cost a scan of the whole index and find nothing.
FUNCTION_CHARACTERS = frozenset("的了和与及或是在也就都而之其对把被向从于以为这那着过吗呢吧啊")

_TERM_PIECE = re.compile(r"[^\W_]+")
_JOIN = "\x00"  # between re-joined words while highlighting; removed after
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SNIPPET_BEFORE = 40  # characters of stored text (spaces included) kept before the best match
_SNIPPET_AFTER = 140
_SNIPPET_SCAN_CHARS = 100_000  # past this, a snippet falls back to the beginning


def term_pieces(word: str) -> list[str]:
    """The indexed terms of one word: ``C++`` → ``["c"]``, ``2023.5年`` → ``["2023", "5年"]``."""
    return _TERM_PIECE.findall(word.lower())


@cache
def _dictionary() -> dict[str, int]:
    return keywords._tokenizer().FREQ


def subwords(word: str) -> list[str]:
    """Dictionary words of two and three characters inside a longer word (jieba's search mode)."""
    if len(word) <= 2 or word.isascii():
        return []
    freq = _dictionary()
    found: list[str] = []
    for size in (2, 3):
        if len(word) <= size:
            break
        for start in range(len(word) - size + 1):
            part = word[start : start + size]
            if freq.get(part) and part not in found:
                found.append(part)
    return found


def index_text(text: str, *, max_chars: int | None = None) -> str:
    """The stored form of ``text``: segmented words, space-joined, marked sub-words after each."""
    if max_chars is not None:
        text = text[:max_chars]
    text = _CONTROL.sub(" ", text)
    out: list[str] = []
    for word in keywords.segment(text):
        if len(word) > MAX_WORD_CHARS:
            continue
        out.append(word)
        out.extend(SUBWORD_MARK + part for part in subwords(word))
    return " ".join(out)


def stored_terms(stored: str) -> Iterator[str]:
    """Every term of a stored text in order, as SQLite's tokenizer would produce them."""
    for word in stored.split(" "):
        yield from term_pieces(word.lstrip(SUBWORD_MARK))


@dataclass(frozen=True)
class Term:
    """One query word; more than one piece means the pieces must be adjacent (a phrase)."""

    word: str
    pieces: tuple[str, ...]


def parse_query(query: str) -> list[Term]:
    """Query words worth searching for, rarest kept when there are too many; [] for junk."""
    query = _CONTROL.sub(" ", query or "")[:MAX_QUERY_CHARS].strip()
    if not query:
        return []
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    for word in keywords.segment(query):
        pieces = tuple(term_pieces(word))
        if pieces and pieces not in seen:
            seen.add(pieces)
            terms.append(Term(word, pieces))
    meaningful = [term for term in terms if not _is_stop_word(term.word)]
    # A query made only of function words is still what the reader asked for.
    terms = meaningful or terms
    return rarest(terms, MAX_QUERY_TERMS)


def _is_stop_word(word: str) -> bool:
    lowered = word.lower()
    return lowered in keywords.stop_words() or lowered in FUNCTION_CHARACTERS


def rarest(terms: list[Term], limit: int) -> list[Term]:
    """The ``limit`` rarest terms by jieba's IDF table, in query order.

    jieba's table rather than the index's own counts: it costs nothing to look up
    and gives both backends the same choice.
    """
    if len(terms) <= limit:
        return terms
    idf = jieba.analyse.default_tfidf.idf_freq
    unknown = _highest_idf()  # words jieba never saw are rare ones
    ranked = sorted(terms, key=lambda term: -idf.get(term.word.lower(), unknown))[:limit]
    kept = set(ranked)
    return [term for term in terms if term in kept]


@cache
def _highest_idf() -> float:
    return max(jieba.analyse.default_tfidf.idf_freq.values(), default=0.0)


# --- snippets -------------------------------------------------------------------


def highlight_pattern(terms: list[Term]) -> re.Pattern[str] | None:
    """A pattern finding any query piece inside one stored word.

    Latin pieces must stand alone (``cat`` is not highlighted in ``category``);
    Chinese ones may sit inside a longer word, as sub-word matches do.
    """
    pieces = sorted({piece for term in terms for piece in term.pieces}, key=len, reverse=True)
    if not pieces:
        return None
    alternatives = [
        re.escape(piece) if _has_cjk(piece) else rf"(?<![^\W_]){re.escape(piece)}(?![^\W_])"
        for piece in pieces
    ]
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _has_cjk(text: str) -> bool:
    return any(ord(char) >= 0x2E80 for char in text)


def snippet_html(stored: str, pattern: re.Pattern[str] | None) -> SafeString:
    """A window of the stored text around its best match, escaped, query words in <mark>."""
    start, end = _best_window(stored, pattern)
    words = stored[start:end].split(" ")
    # The window's edges fall inside words: drop the partial ones.
    if start > 0:
        words = words[1:]
    if end < len(stored):
        words = words[:-1]
    body = _render(words, pattern)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(stored) else ""
    return mark_safe(f"{prefix}{body}{suffix}")  # escaped by _render


def highlight_html(stored: str, pattern: re.Pattern[str] | None) -> SafeString:
    """The whole stored text (a title), escaped, query words in <mark>."""
    return mark_safe(_render(stored.split(" "), pattern))  # escaped by _render


def _best_window(stored: str, pattern: re.Pattern[str] | None) -> tuple[int, int]:
    """Character bounds of the window showing the most distinct query words."""
    first_seen: dict[str, int] = {}
    if pattern is not None:
        wanted = pattern.pattern.count("|") + 1
        for match in pattern.finditer(stored, 0, _SNIPPET_SCAN_CHARS):
            first_seen.setdefault(match.group().lower(), match.start())
            if len(first_seen) == wanted:
                break
    if not first_seen:
        return 0, min(len(stored), _SNIPPET_BEFORE + _SNIPPET_AFTER)
    best_position, best_count = 0, -1
    for position in sorted(first_seen.values()):
        window = stored[max(0, position - _SNIPPET_BEFORE) : position + _SNIPPET_AFTER]
        count = len({found.lower() for found in pattern.findall(window)})  # type: ignore[union-attr]
        if count > best_count:
            best_position, best_count = position, count
    start = max(0, best_position - _SNIPPET_BEFORE)
    end = min(len(stored), best_position + _SNIPPET_AFTER)
    return start, end


def _render(words: list[str], pattern: re.Pattern[str] | None) -> str:
    """Re-join stored words as the text was written, escaping them and marking matches.

    Words are joined with NUL where no space belongs, so one pass of the pattern
    over the whole window cannot match across two words (NUL is in no query piece).
    """
    kept = [word for word in words if word and not word.startswith(SUBWORD_MARK)]
    joined = _NO_SPACE.sub(_JOIN, " ".join(kept))
    if pattern is None:
        return html.escape(joined).replace(_JOIN, "")
    out: list[str] = []
    position = 0
    for match in pattern.finditer(joined):
        out.append(html.escape(joined[position : match.start()]))
        out.append(f"<mark>{html.escape(match.group())}</mark>")
        position = match.end()
    out.append(html.escape(joined[position:]))
    return "".join(out).replace(_JOIN, "")


# Segmentation removed the spaces; only Latin words and numbers had them. A space
# stays between [letter, digit or closing punctuation] and [letter, digit or "("];
# every other one goes (one regex pass instead of a Python test per word).
_NO_SPACE = re.compile(r"(?<![A-Za-z0-9,.;:!?)%]) | (?![A-Za-z0-9(])")
