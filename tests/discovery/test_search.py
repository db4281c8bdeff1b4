"""Relevance, Chinese segmentation, filters, sort and pagination — the same on every backend."""

from __future__ import annotations

import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wenku.discovery.indexing import document_changed
from wenku.discovery.search import Price, SearchFilters, Sort
from wenku.discovery.services import search_documents
from wenku.documents.models import Document

LIBRARY = "社区图书馆建设的实践与思考"


def ids(page) -> list[int]:
    return [hit.document_id for hit in page.hits]


def test_exact_title_hit_comes_first(backend, make_document):
    """GIVEN documents whose bodies repeat the title's words, and one with that title
    WHEN searching for the title THEN the document with that title ranks first."""
    for n in range(3):
        make_document(
            f"读书笔记{n}", "社区图书馆建设，实践与思考。" * 5 + "社区图书馆的建设很重要。" * 3
        )
    titled = make_document(LIBRARY, "本文讨论基层文化设施。")

    found = backend.search(LIBRARY)

    assert found.hits[0].document_id == titled.pk
    assert found.total == 4
    assert "<mark>社区图书馆</mark>" in found.hits[0].title_html


def test_two_words_need_both_and_rank_both_above_one(backend, make_document):
    both = make_document("乡村振兴与垃圾分类", "乡村振兴离不开垃圾分类。")
    make_document("乡村振兴", "乡村振兴战略全面推进。")
    make_document("垃圾分类", "垃圾分类从我做起。")

    found = backend.search("乡村振兴 垃圾分类")

    assert ids(found) == [both.pk]
    assert found.matched_all_terms


def test_or_fallback_ranks_documents_with_more_words_first(backend, make_document):
    """GIVEN no document with all three words WHEN searching THEN the one with two ranks first."""
    two = make_document("报告甲", "乡村振兴需要垃圾分类。")
    one_a = make_document("报告乙", "乡村振兴战略。")
    one_b = make_document("报告丙", "垃圾分类做起。")

    found = backend.search("乡村振兴 垃圾分类 量子计算")

    assert not found.matched_all_terms
    assert ids(found)[0] == two.pk
    assert set(ids(found)) == {two.pk, one_a.pk, one_b.pk}


@pytest.mark.parametrize(
    "text",
    ["社区图书馆建设", "我在图书馆里看书。", "图书馆", "（图书馆）", "新图书馆123"],
)
def test_a_word_is_found_whatever_surrounds_it(backend, make_document, text):
    document = make_document("某文档", text)

    found = backend.search("图书馆")

    assert ids(found) == [document.pk]
    assert "<mark>图书馆</mark>" in found.hits[0].snippet_html


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("研究生命起源", "研究生"),  # 研究/生命/起源
        ("南京市长江大桥", "市长"),  # 南京市/长江大桥
        ("2023年关于群团组织的通知", "年关"),  # 2023年/关于
        ("和尚未结婚的人", "和尚"),  # 和/尚未/结婚
    ],
)
def test_no_match_across_a_word_boundary(backend, make_document, text, query):
    make_document("某文档", text)

    assert backend.search(query).total == 0


def test_mixed_chinese_and_english(backend, make_document):
    document = make_document("教程", "使用Python语言进行机器学习，入门 Machine Learning。")
    make_document("其他", "使用Java语言开发。")

    assert ids(backend.search("python 机器学习")) == [document.pk]
    assert ids(backend.search("Machine Learning")) == [document.pk]
    snippet = backend.search("PYTHON").hits[0].snippet_html
    assert "<mark>Python</mark>语言" in snippet
    assert "Machine Learning" in snippet  # the space between Latin words is kept


@pytest.mark.parametrize(
    "query",
    ["", "   ", "！！！", "。，、", "\x00\x1f", '"', "*", "(((", "AND OR NOT", "title:x", "NEAR("],
)
def test_empty_or_junk_queries_never_raise(backend, make_document, query):
    make_document("文档", "正文内容 title near")

    found = backend.search(query)

    assert found.page == 1
    assert all(hit.document_id for hit in found.hits)


def test_punctuation_only_query_is_empty(backend, make_document):
    make_document("文档", "正文内容。")

    assert backend.search("！？。").hits == []
    assert backend.search("").total == 0


def test_snippets_escape_html(backend, make_document):
    make_document("<b>标题</b>", "<script>alert(1)</script> 图书馆 & 博物馆")

    hit = backend.search("图书馆").hits[0]

    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "&amp;" in hit.snippet_html
    assert "<mark>图书馆</mark>" in hit.snippet_html
    assert "&lt;b&gt;" in hit.title_html


def test_snippet_is_cut_around_the_match(backend, make_document):
    filler = "这是一段无关的文字。" * 40
    make_document("长文", filler + "关键的图书馆建设经验。" + filler)

    snippet = backend.search("图书馆").hits[0].snippet_html

    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>图书馆</mark>建设" in snippet
    assert len(snippet) < 200


def test_unpublished_documents_never_appear(backend, make_document):
    hidden = make_document("图书馆草稿", "图书馆", published=False)
    backend.index_document(hidden)  # even when an index entry slipped through

    assert backend.search("图书馆").total == 0


def test_filters_by_format_and_page_count(backend, make_document):
    pdf = make_document("图书馆一", "图书馆", "第二页", format="pdf")
    docx = make_document("图书馆二", "图书馆", format="docx")
    long = make_document("图书馆三", *["图书馆"] * 12, format="pdf")

    assert set(ids(backend.search("图书馆", SearchFilters(formats=("pdf",))))) == {pdf.pk, long.pk}
    assert ids(backend.search("图书馆", SearchFilters(formats=("docx", "xlsx")))) == [docx.pk]
    assert ids(backend.search("图书馆", SearchFilters(min_pages=2, max_pages=10))) == [pdf.pk]
    assert ids(backend.search("图书馆", SearchFilters(min_pages=11))) == [long.pk]


def test_filters_and_sorts_follow_the_document_as_it_is_now(backend, make_document):
    """Backends that copy filter fields into the index (PostgreSQL, tantivy) take
    them from the row when told of a change, and never show a page the row now
    contradicts when they were not told."""
    edited = make_document("图书馆一", "图书馆", format="pdf", age_days=3)
    untold = make_document("图书馆二", "图书馆", format="pdf", age_days=2)
    edited.format = "docx"
    edited.published_at = timezone.now()
    edited.save()
    document_changed(edited)
    Document.objects.filter(pk=untold.pk).update(format="xlsx")  # the index is not told

    assert ids(backend.search("图书馆", SearchFilters(formats=("docx",)))) == [edited.pk]
    assert ids(backend.search("图书馆", SearchFilters(formats=("pdf",)))) == []
    assert ids(backend.search("图书馆", sort=Sort.NEWEST))[0] == edited.pk


@pytest.mark.parametrize("walk_depth", [100, 2])
def test_sort_newest_of_a_very_common_word(backend, make_document, monkeypatch, walk_depth):
    """PostgreSQL walks the publication index for the first pages of a common query
    and sorts every match for deeper ones: the same order either way."""
    from wenku.discovery.search import postgres

    bound_candidates(monkeypatch, common=3, title=2, body=2)
    monkeypatch.setattr(postgres, "NEWEST_WALK_DEPTH", walk_depth)
    made = [make_document(f"图书馆{n}", "图书馆", age_days=n) for n in (4, 1, 3, 0, 2)]
    newest_first = [doc.pk for doc in sorted(made, key=lambda doc: doc.published_at)][::-1]

    pages, walked = [], []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries:
            pages.append(backend.search("图书馆", sort=Sort.NEWEST, page=number, page_size=2))
        walked.append(any(q["sql"] == "SET LOCAL enable_bitmapscan = off" for q in queries))

    assert [pk for page in pages for pk in ids(page)] == newest_first
    if isinstance(backend, postgres.PostgresBackend):
        assert walked == ([True] * 3 if walk_depth == 100 else [True, False, False])


def test_sort_newest(backend, make_document):
    old = make_document("图书馆旧", "图书馆", age_days=10)
    new = make_document("图书馆新", "图书馆", age_days=1)
    middle = make_document("图书馆图书馆", "图书馆 图书馆", age_days=5)

    assert ids(backend.search("图书馆", sort=Sort.NEWEST)) == [new.pk, middle.pk, old.pk]


def test_sort_most_downloaded(backend, make_document, uploader):
    from wenku.commerce.models import DownloadLog

    quiet = make_document("图书馆甲", "图书馆", age_days=1)
    popular = make_document("图书馆乙", "图书馆", age_days=9)
    resumed = make_document("图书馆丙", "图书馆", age_days=5)

    def log(document, *, counted=True):
        DownloadLog.objects.create(
            user=uploader, document=document, status=200, bytes=1, counted=counted
        )

    for _ in range(3):
        log(popular)
    log(resumed)
    # Resumes of one download (not counted) must not lift a document above another.
    for _ in range(5):
        log(resumed, counted=False)

    order = ids(backend.search("图书馆", sort=Sort.DOWNLOADS))
    assert order == [popular.pk, resumed.pk, quiet.pk]


def test_pagination(backend, make_document):
    made = {make_document(f"图书馆{n}", "图书馆").pk for n in range(7)}

    pages = [backend.search("图书馆", page=n, page_size=3) for n in (1, 2, 3, 4)]

    assert [len(page.hits) for page in pages] == [3, 3, 1, 0]
    assert {p.total for p in pages} == {7}
    assert {hit.document_id for page in pages for hit in page.hits} == made
    assert pages[0].num_pages == 3 and pages[0].has_next and not pages[0].has_previous
    assert not pages[2].has_next


def test_search_documents_returns_published_documents_in_order(backend, make_document):
    first = make_document(LIBRARY, "图书馆")
    second = make_document("杂记", "社区图书馆")

    result = search_documents("社区图书馆", sort="no-such-sort")

    assert [r.document for r in result.results] == [first, second]
    assert result.page.total == 2


def _documents_have_categories() -> bool:
    from wenku.documents.models import Document

    return any(field.name == "category" for field in Document._meta.get_fields())


@pytest.mark.skipif(not _documents_have_categories(), reason="Document.category not added yet")
def test_filter_by_category_includes_subcategories(backend, make_document):
    from wenku.discovery.models import Category

    education = Category.objects.create(name="教育", slug="education")
    schools = Category.objects.create(name="中小学", slug="schools", parent=education)
    other = Category.objects.create(name="医疗", slug="health")
    in_parent = make_document("图书馆一", "图书馆")
    in_child = make_document("图书馆二", "图书馆")
    elsewhere = make_document("图书馆三", "图书馆")
    for document, category in ((in_parent, education), (in_child, schools), (elsewhere, other)):
        document.category = category
        document.save()
        document_changed(document)  # as every edit does: the index keeps the category

    found = backend.search("图书馆", SearchFilters(category_ids=tuple(education.descendant_ids())))

    assert set(ids(found)) == {in_parent.pk, in_child.pk}


def test_filter_free_or_paid(backend, make_document):
    free = make_document("图书馆免费", "图书馆")
    paid = make_document("图书馆付费", "图书馆")
    paid.price = 5
    paid.save()
    document_changed(paid)  # as every edit does: the index keeps the price

    assert ids(backend.search("图书馆", SearchFilters(price=Price.FREE))) == [free.pk]
    assert ids(backend.search("图书馆", SearchFilters(price=Price.PAID))) == [paid.pk]


def test_text_beyond_the_preview_is_not_searchable(backend, make_document):
    """GIVEN a document whose preview stops at page 1 WHEN a reader searches words of
    page 2 THEN nothing is found, so no snippet can show what only buyers may read."""
    document = make_document("付费文档", "公开的第一页内容", "付费内容藏在第二页里")
    document.preview_pages = 1
    document.save()
    document_changed(document)

    assert ids(backend.search("第一页")) == [document.pk]
    assert ids(backend.search("第二页")) == []

    document.preview_pages = 2
    document.save()
    document_changed(document)
    assert ids(backend.search("第二页")) == [document.pk]


def test_a_capped_total_stays_capped_when_a_hit_is_hidden(backend, make_document, monkeypatch):
    """GIVEN more matches than are counted, one of them taken down after indexing
    WHEN searching THEN the total still says "more than", not an exact number."""
    from wenku.discovery.search import base

    monkeypatch.setattr(base, "COUNT_LIMIT", 3)
    backend_module = sys.modules[type(backend).__module__]
    if hasattr(backend_module, "COUNT_LIMIT"):
        monkeypatch.setattr(backend_module, "COUNT_LIMIT", 3)
    for n in range(5):
        make_document(f"文档{n}", "图书馆")
    hidden = make_document("图书馆", "图书馆 图书馆")  # the best match
    hidden.published_at = None
    hidden.save()  # the index is not told

    found = backend.search("图书馆", page_size=2)

    assert hidden.pk not in ids(found)
    assert found.total == 3 and not found.total_exact


def bound_candidates(monkeypatch, *, common: int, title: int, body: int) -> None:
    """Make a query of ``common`` matches or more "very common": the bounded ranking
    of PostgreSQL (which always bounds) and FTS5, with small candidate sets."""
    from wenku.discovery.search import base, postgres, sqlite

    for module in (base, sqlite, postgres):
        monkeypatch.setattr(module, "COUNT_LIMIT", common)
    for module in (postgres, sqlite):
        monkeypatch.setattr(module, "RANK_CANDIDATES", title)
        monkeypatch.setattr(module, "BODY_CANDIDATES", body)


def test_every_page_offered_has_results(backend, make_document, monkeypatch):
    """Backends that rank a bounded candidate set offer only the pages those fill;
    the others, every match."""
    bound_candidates(monkeypatch, common=9, title=2, body=3)
    for n in range(9):
        make_document(f"文档{n}", "图书馆")

    first = backend.search("图书馆", page_size=2)

    assert first.total == 9
    for number in range(1, first.num_pages + 1):
        assert backend.search("图书馆", page=number, page_size=2).hits, number


@pytest.mark.parametrize("page_size", [1, 2, 4, 5])
def test_paging_through_a_bounded_ranking_repeats_and_skips_nothing(
    backend, make_document, monkeypatch, page_size
):
    """Pages that cross from title matches to body matches, or end on the boundary."""
    from wenku.discovery.search.sqlite import Fts5Backend

    bound_candidates(monkeypatch, common=5, title=3, body=3)
    titled = {make_document(f"图书馆{n}", "指南").pk for n in range(5)}
    for n in range(6):
        make_document(f"文档{n}", "图书馆")

    first = backend.search("图书馆", page_size=page_size)
    seen = []
    for number in range(1, first.num_pages + 2):  # and one page past the last
        seen += ids(backend.search("图书馆", page=number, page_size=page_size))

    assert len(seen) == len(set(seen)) == (first.pageable or first.total)
    in_title = [pk in titled for pk in seen]
    assert in_title == sorted(in_title, reverse=True)  # every title match first
    if isinstance(backend, Fts5Backend):  # the newest 3 of each list
        assert first.pageable == 6
        assert set(seen[:3]) == set(sorted(titled)[-3:])


def test_a_very_common_word_still_ranks_title_matches_first(backend, make_document, monkeypatch):
    bound_candidates(monkeypatch, common=4, title=2, body=2)
    titled = make_document("图书馆指南", "指南")  # the oldest: not among the newest body matches
    for n in range(6):
        make_document(f"文档{n}", "图书馆 图书馆 图书馆")

    found = backend.search("图书馆")

    assert ids(found)[0] == titled.pk
    assert len(found.hits) >= 2  # body matches follow
