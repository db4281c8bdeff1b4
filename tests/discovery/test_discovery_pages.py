"""The discovery pages: search, categories, tags, rankings, related documents."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wenku.commerce.models import DownloadLog
from wenku.discovery.indexing import document_changed
from wenku.discovery.models import Category, DocumentView
from wenku.documents.models import Document

MATH = "函数的极限与连续性是高等数学的基础内容。本章讨论数列极限和函数极限。"
HISTORY = "唐朝的历史文化繁荣，诗歌与绘画都达到了很高的水平。"


@pytest.fixture(autouse=True)
def _every_backend(backend):
    """Every page test runs on each search backend (see conftest.backend)."""


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response


def _html(response) -> str:
    return response.content.decode()


# --- search ---------------------------------------------------------------------------


def test_search_shows_each_result_with_highlights_and_metadata(client, make_document):
    doc = make_document("高等数学函数极限讲义", MATH, format="pdf")
    doc.price = 5
    doc.save(update_fields=["price"])
    make_document("唐朝历史概要", HISTORY, format="docx")
    html = _html(_get(client, "/search/", q="函数极限"))
    assert "<mark>" in html
    assert doc.get_absolute_url() in html
    assert reverse("documents:page_image", args=[doc.pk, 1, "thumb"]) in html
    assert "唐朝历史概要" not in html
    assert "PDF" in html
    assert "uploader" in html  # the uploader's name
    assert doc.published_at.strftime("%Y-%m-%d") in html
    assert "5 积分" in html


def test_search_escapes_the_query(client, make_document):
    make_document("高等数学函数极限讲义", MATH)
    html = _html(_get(client, "/search/", q="<script>alert(1)</script> 函数"))
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize("query", ["", "   ", "!!!", "。，、", "\x00\x01", "的"])
def test_empty_or_junk_query_gets_a_helpful_page(client, make_document, query):
    make_document("高等数学函数极限讲义", MATH)
    response = _get(client, "/search/", q=query)
    assert "高等数学函数极限讲义" in _html(response)  # newest documents to start from


def test_no_results_suggests_documents(client, make_document):
    make_document("高等数学函数极限讲义", MATH)
    html = _html(_get(client, "/search/", q="量子色动力学"))
    assert 'id="suggest-newest"' in html


def test_malformed_filters_are_ignored(client, make_document):
    doc = make_document("高等数学函数极限讲义", MATH)
    params = {"q": "函数", "page": "x", "pages": "a-b", "sort": "evil", "price": "?"}
    params |= {"category": "999", "format": "exe"}
    assert doc.get_absolute_url() in _html(_get(client, "/search/", **params))
    assert _get(client, "/search/", q="函数", page="99999999999").status_code == 200


def _link(doc) -> str:
    return f'href="{doc.get_absolute_url()}"'


def test_search_filters_by_format_price_pages_and_category(client, make_document):
    science = Category.objects.create(name="科学", slug="science")
    maths = Category.objects.create(name="数学", slug="maths", parent=science)
    pdf = make_document("函数讲义甲", MATH, format="pdf")
    docx = make_document("函数讲义乙", MATH, MATH, MATH, format="docx")
    docx.price = 3
    docx.category = maths
    docx.save(update_fields=["price", "category"])
    document_changed(docx)  # as the uploader's and the admin's edits do

    def found(**params) -> set[str]:
        html = _html(_get(client, "/search/", q="函数", **params))
        return {name for name, doc in (("pdf", pdf), ("docx", docx)) if _link(doc) in html}

    assert found() == {"pdf", "docx"}
    assert found(format="pdf") == {"pdf"}
    assert found(format="word") == {"docx"}
    assert found(price="paid") == {"docx"}
    assert found(price="free") == {"pdf"}
    assert found(pages="2-5") == {"docx"}
    assert found(pages="-1") == {"pdf"}
    # A category takes in its descendants.
    assert found(category=str(science.pk)) == {"docx"}


def test_search_sorts_newest_first(client, make_document):
    old = make_document("函数讲义旧", MATH, age_days=10)
    new = make_document("函数讲义新", MATH, age_days=1)
    html = _html(_get(client, "/search/", q="函数", sort="newest"))
    assert html.index(_link(new)) < html.index(_link(old))


def test_pagination_keeps_the_query_and_filters(client, make_document, monkeypatch):
    monkeypatch.setattr("wenku.discovery.views.PAGE_SIZE", 2)
    for n in range(5):
        make_document(f"函数讲义{n}", MATH)
    html = _html(_get(client, "/search/", q="函数", format="pdf"))
    assert "page=2" in html
    assert "q=%E5%87%BD%E6%95%B0" in html and "format=pdf" in html
    second = _html(_get(client, "/search/", q="函数", format="pdf", page="2"))
    assert 'aria-current="page" class="current">2<' in second
    assert 'rel="prev"' in second


def test_search_page_query_count_does_not_grow_with_results(client, make_document):
    for n in range(3):
        make_document(f"函数讲义{n}", MATH)
    with CaptureQueriesContext(connection) as few:
        _get(client, "/search/", q="函数")
    for n in range(3, 12):
        make_document(f"函数讲义{n}", MATH)
    with CaptureQueriesContext(connection) as many:
        _get(client, "/search/", q="函数")
    # 9: within this test's transaction PostgreSQL's planner hints are put back by
    # one more statement (wenku.discovery.plans).
    assert len(many) == len(few) <= 9


def test_unpublished_documents_never_show(client, make_document):
    draft = make_document("函数讲义草稿", MATH, published=False)
    assert _link(draft) not in _html(_get(client, "/search/", q="函数"))


# --- categories and tags --------------------------------------------------------------


def test_category_page_lists_its_documents_and_descendants(client, make_document):
    science = Category.objects.create(name="科学", slug="science")
    maths = Category.objects.create(name="数学", slug="数学", parent=science)
    inside = make_document("函数讲义", MATH)
    inside.category = maths
    inside.save(update_fields=["category"])
    make_document("唐朝历史概要", HISTORY)
    hidden = make_document("数学草稿", MATH, published=False)
    hidden.category = maths
    hidden.save(update_fields=["category"])

    html = _html(_get(client, "/c/science/"))
    assert "函数讲义" in html and "唐朝历史概要" not in html and "数学草稿" not in html
    assert maths.get_absolute_url() in html  # subcategory link
    html = _html(_get(client, maths.get_absolute_url()))
    assert "函数讲义" in html and 'rel="canonical"' in html
    assert "函数讲义" not in _html(_get(client, "/c/science/", format="ppt"))
    assert client.get("/c/nothing/").status_code == 404

    index = _html(_get(client, "/c/"))
    assert "科学" in index and "数学" in index


def test_category_page_sorts_by_downloads(client, make_document, user):
    category = Category.objects.create(name="数学", slug="maths")
    quiet = make_document("冷门讲义", MATH)
    popular = make_document("热门讲义", MATH, age_days=3)
    for doc in (quiet, popular):
        doc.category = category
        doc.save(update_fields=["category"])
    DownloadLog.objects.create(user=user, document=popular, status=200, bytes=1)
    html = _html(_get(client, "/c/maths/", sort="downloads"))
    assert html.index("热门讲义") < html.index("冷门讲义")


def test_tag_page_lists_published_documents_with_the_keyword(client, make_document):
    tagged = make_document("函数讲义", MATH, keywords=["函数", "极限"])
    make_document("唐朝历史概要", HISTORY, keywords=["唐朝", "函数论"])
    make_document("函数草稿", MATH, keywords=["函数"], published=False)
    html = _html(_get(client, reverse("discovery:tag", args=["函数"])))
    assert "函数讲义" in html
    assert "唐朝历史概要" not in html  # 函数论 is not 函数
    assert "函数草稿" not in html
    # The detail page links its keywords here.
    detail = _html(_get(client, tagged.get_absolute_url()))
    assert reverse("discovery:tag", args=["极限"]) in detail


def test_tag_pages_follow_every_change_of_keywords(make_document):
    """The keyword index (triggers on SQLite, GIN on PostgreSQL) follows saves,
    queryset updates, bulk inserts and deletes."""
    from wenku.discovery.views import with_keyword

    def tagged(word: str) -> set[str]:
        return set(with_keyword(Document.objects.all(), word).values_list("title", flat=True))

    edited = make_document("函数讲义", MATH, keywords=["函数", "极限"])
    gone = make_document("函数草稿", MATH, keywords=["函数"])
    edited.keywords = ["极限", "导数"]
    edited.save()
    Document.objects.filter(pk=gone.pk).update(keywords=["函数", "积分"])
    Document.objects.bulk_create(
        [Document(owner=edited.owner, blob=edited.blob, title="批量", keywords=["导数"])]
    )
    assert tagged("函数") == {"函数草稿"}
    assert tagged("导数") == {"函数讲义", "批量"}
    assert tagged("积分") == {"函数草稿"}

    gone.delete()
    assert tagged("积分") == set()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner hint")
def test_tag_pages_keep_postgresql_on_the_keyword_index_and_off_the_walk(client, make_document):
    make_document("函数讲义", MATH, keywords=["函数"])
    with CaptureQueriesContext(connection) as queries:
        html = _html(_get(client, reverse("discovery:tag", args=["函数"])))
    statements = [query["sql"] for query in queries]
    hint = statements.index("SET LOCAL enable_seqscan = off")
    few = statements.index("SET LOCAL enable_indexscan = off")  # after counting one
    assert "COUNT(*)" in " ".join(statements[hint:few]).upper()
    assert "@>" in " ".join(statements[few:])  # the page itself
    assert "函数讲义" in html


def test_tag_with_odd_characters_works(client, make_document):
    make_document("A/B 测试", MATH, keywords=["A/B", "测试"])
    assert "A/B 测试" in _html(_get(client, reverse("discovery:tag", args=["A/B"])))


# --- rankings and views ---------------------------------------------------------------


def test_views_are_counted_per_day_but_not_for_the_owner(client, make_document, uploader, user):
    doc = make_document("函数讲义", MATH)
    _get(client, doc.get_absolute_url())
    _get(client, doc.get_absolute_url())
    client.force_login(user)
    _get(client, doc.get_absolute_url())
    client.force_login(uploader)
    _get(client, doc.get_absolute_url())
    row = DocumentView.objects.get(document=doc)
    assert (row.day, row.count) == (timezone.localdate(), 3)


def test_home_rankings(client, make_document, user):
    viewed = make_document("浏览最多的讲义", MATH)
    downloaded = make_document("下载最多的讲义", HISTORY)
    gone = make_document("已下架的讲义", HISTORY)
    old_day = timezone.localdate() - timezone.timedelta(days=30)
    DocumentView.objects.create(document=viewed, day=timezone.localdate(), count=5)
    DocumentView.objects.create(document=downloaded, day=old_day, count=50)
    DocumentView.objects.create(document=gone, day=timezone.localdate(), count=500)
    DownloadLog.objects.create(user=user, document=downloaded, status=200, bytes=1)
    gone.published_at = None
    gone.save(update_fields=["published_at"])

    html = _html(_get(client, "/"))
    week = html[html.index('id="rank-viewed-week"') :]
    week = week[: week.index("</section>")]
    assert "浏览最多的讲义" in week and "下载最多的讲义" not in week
    all_time = html[html.index('id="rank-viewed-all"') :]
    all_time = all_time[: all_time.index("</section>")]
    assert all_time.index("下载最多的讲义") < all_time.index("浏览最多的讲义")
    assert 'id="rank-downloaded-week"' in html
    assert "已下架的讲义" not in html


def test_home_query_count_is_bounded(client, make_document, user):
    for n in range(3):
        doc = make_document(f"讲义{n}", MATH)
        DocumentView.objects.create(document=doc, day=timezone.localdate(), count=n + 1)
    with CaptureQueriesContext(connection) as few:
        _get(client, "/")
    for n in range(3, 15):
        doc = make_document(f"讲义{n}", MATH)
        DocumentView.objects.create(document=doc, day=timezone.localdate(), count=n + 1)
        DownloadLog.objects.create(user=user, document=doc, status=200, bytes=1)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        _get(client, "/")
    assert len(many) == len(few) <= 10
    with CaptureQueriesContext(connection) as cached:
        _get(client, "/")
    assert len(cached) == len(many) - 4  # the four ranking aggregates


def test_cached_rankings_drop_a_document_taken_down_at_once(client, make_document):
    """GIVEN rankings cached with a document in them WHEN it is taken down THEN the
    next home page no longer lists it, though the cached order is minutes old."""
    doc = make_document("热门讲义", MATH)
    DocumentView.objects.create(document=doc, day=timezone.localdate(), count=9)
    assert "热门讲义" in _html(_get(client, "/"))

    doc.published_at = None
    doc.save(update_fields=["published_at"])

    assert "热门讲义" not in _html(_get(client, "/"))


# --- related documents ----------------------------------------------------------------


def test_related_block_never_shows_itself_or_unpublished(client, make_document):
    doc = make_document("函数极限讲义", MATH, keywords=["函数", "极限"])
    related = [make_document(f"函数极限习题{n}", MATH, keywords=["函数", "极限"]) for n in range(7)]
    draft = make_document("函数极限草稿", MATH, keywords=["函数", "极限"])
    draft.published_at = None
    draft.save(update_fields=["published_at"])
    html = _html(_get(client, doc.get_absolute_url()))
    block = html[html.index('id="related"') :]
    block = block[: block.index("</section>")]
    assert "你可能关注的文档" in block
    assert _link(doc) not in block
    assert "函数极限草稿" not in block
    shown = sum(_link(r) in block for r in related)
    assert 6 <= shown <= 8


# --- the uploader's category ----------------------------------------------------------


def test_my_uploads_suggests_and_saves_a_category(client, make_document, uploader):
    maths = Category.objects.create(name="数学", slug="maths")
    Category.objects.create(name="历史", slug="history")
    filed = make_document("微积分习题", MATH, keywords=["函数", "极限"])
    filed.category = maths
    filed.save(update_fields=["category"])
    new = make_document("函数入门", MATH, keywords=["函数", "导数"])
    client.force_login(uploader)
    html = _html(_get(client, reverse("my_uploads")))
    row = html[html.index(f'id="doc-{new.pk}"') :]
    row = row[: row.index("</li>")]
    assert re.search(rf'<option value="{maths.pk}" selected>数学 \(', row)

    response = client.post(
        reverse("my_uploads"),
        {"document": new.pk, "price": 0, "preview_pages": 5, "category": maths.pk},
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.category == maths
    # A post without the select leaves the category alone.
    client.post(reverse("my_uploads"), {"document": new.pk, "price": 1, "preview_pages": 5})
    new.refresh_from_db()
    assert (new.category, new.price) == (maths, 1)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
def test_a_tag_page_takes_no_write_lock(client, make_document):
    make_document("函数讲义", MATH, keywords=["函数"])
    with CaptureQueriesContext(connection) as queries:
        _get(client, reverse("discovery:tag", args=["函数"]))
    # BEGIN in autocommit, SAVEPOINT inside a test's transaction: neither.
    assert not [q for q in queries if q["sql"].startswith(("BEGIN", "SAVEPOINT"))]
