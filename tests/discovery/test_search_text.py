"""What is indexed, what is queried, and how snippets are cut: no database needed."""

from __future__ import annotations

from wenku.discovery.search import text
from wenku.discovery.search.postgres import tsquery_literal, tsvector_literal
from wenku.discovery.search.sqlite import match_expression


def test_stored_text_holds_words_and_marked_subwords():
    stored = text.index_text("社区图书馆建设")

    assert stored.split(" ")[0] == "社区图书馆"
    assert text.SUBWORD_MARK + "图书馆" in stored.split(" ")
    assert list(text.stored_terms(stored))[:2] == ["社区图书馆", "社区"]


def test_control_characters_never_reach_the_index():
    assert "\x1f" not in text.index_text("图书\x1f馆\x00").replace("\x1f图书", "")


def test_query_drops_punctuation_and_function_words():
    words = [term.word for term in text.parse_query("社区图书馆的建设！")]

    assert words == ["社区图书馆", "建设"]


def test_query_of_only_function_words_is_kept():
    assert [term.word for term in text.parse_query("的")] == ["的"]


def test_long_query_keeps_the_rarest_words():
    sentence = "我们今天在这里讨论社区图书馆建设以及乡村振兴和垃圾分类还有高质量发展的问题与思考"

    terms = text.parse_query(sentence)

    assert len(terms) == text.MAX_QUERY_TERMS
    assert "社区图书馆" in [term.word for term in terms]


def test_fts5_expression_quotes_every_word():
    terms = text.parse_query('NEAR" OR title:x')

    expression = match_expression(terms, True)

    assert expression == '{title body} : ("near" AND "title" AND "x")'


def test_word_with_inner_punctuation_is_a_phrase():
    terms = text.parse_query("C++ 2023.5年")

    assert [term.pieces for term in terms] == [("c",), ("2023", "5年")]
    assert tsquery_literal(terms, True) == "'c' & ('2023' <-> '5年')"


def test_tsvector_literal_has_positions_for_every_term():
    assert tsvector_literal("Python 语言 Python") == "'python':1,3 '语言':2"
    assert tsvector_literal("") == ""


def test_snippet_rejoins_chinese_without_spaces_and_keeps_latin_spaces():
    stored = text.index_text("使用Python语言，入门 Machine Learning。")
    pattern = text.highlight_pattern(text.parse_query("语言"))

    assert text.snippet_html(stored, pattern) == (
        "使用Python<mark>语言</mark>，入门Machine Learning。"
    )


def test_latin_words_are_highlighted_only_whole():
    stored = text.index_text("category cat")
    pattern = text.highlight_pattern(text.parse_query("cat"))

    assert text.highlight_html(stored, pattern) == "category <mark>cat</mark>"


def test_snippet_without_a_match_shows_the_beginning():
    stored = text.index_text("第一句。" * 100)

    snippet = text.snippet_html(stored, text.highlight_pattern(text.parse_query("图书馆")))

    assert snippet.startswith("第一句") and snippet.endswith("…")
