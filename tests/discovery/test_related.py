"""你可能关注的文档: similar first, never the document itself, never unpublished ones."""

from __future__ import annotations

from wenku.discovery.indexing import document_changed, document_deleted
from wenku.discovery.related import related_documents, related_terms


def test_related_documents_by_shared_keywords(backend, make_document):
    source = make_document("乡村振兴与垃圾分类", "乡村振兴离不开垃圾分类。" * 5)
    close = make_document("垃圾分类助力乡村振兴", "垃圾分类让乡村振兴更进一步。" * 5)
    partial = make_document("农村垃圾分类", "垃圾分类在农村。" * 5)
    unrelated = make_document("量子计算入门", "量子比特与量子门。" * 5)

    related = related_documents(source)

    assert related[:2] == [close, partial]
    assert source not in related
    assert unrelated not in related


def test_related_never_includes_unpublished_or_removed(backend, make_document):
    source = make_document("垃圾分类", "垃圾分类。")
    draft = make_document("垃圾分类草稿", "垃圾分类。", published=False)
    backend.index_document(draft)  # an entry that slipped through
    gone = make_document("垃圾分类旧文", "垃圾分类。")
    gone.published_at = None
    gone.save()  # unpublished, index not told yet

    assert related_documents(source) == []


def test_related_falls_back_to_the_title_without_keywords(backend, make_document):
    source = make_document("社区图书馆建设", "", keywords=[])
    other = make_document("图书馆建设指南", "图书馆建设")

    assert related_documents(source) == [other]


def test_related_respects_the_limit(backend, make_document):
    source = make_document("图书馆", "图书馆")
    for n in range(12):
        make_document(f"图书馆{n}", "图书馆")

    assert len(related_documents(source, limit=6)) == 6


def test_co_favorited_and_co_bought_documents_are_blended_in(
    backend, make_document, django_user_model
):
    """GIVEN readers who favorited or bought a document also kept an unrelated one
    WHEN related documents are listed THEN that one appears, ranked with the similar."""
    from wenku.commerce import services as commerce
    from wenku.commerce.models import Favorite

    source = make_document("垃圾分类", "垃圾分类。" * 5)
    similar = make_document("垃圾分类指南", "垃圾分类。" * 5)
    co_kept = make_document("量子计算入门", "量子比特。" * 5)
    co_bought = make_document("古典诗词鉴赏", "诗词。" * 5)
    co_bought.price = 5
    co_bought.save()
    draft = make_document("量子草稿", "量子。", published=False)
    for name in ("a", "b"):
        reader = django_user_model.objects.create(username=f"reader-{name}")
        for document in (source, co_kept, draft):
            Favorite.objects.create(user=reader, document=document)
    buyer = django_user_model.objects.create(username="buyer")
    Favorite.objects.create(user=buyer, document=source)
    commerce.credit(buyer, 5, reason="test")
    commerce.purchase(buyer, co_bought, "related-test")

    related = related_documents(source)

    assert set(related) == {similar, co_kept, co_bought}
    assert related.index(co_kept) < related.index(co_bought)  # kept by two readers, not one
    assert draft not in related and source not in related


def test_without_readers_related_is_content_only(backend, make_document):
    from wenku.discovery.related import co_interest_ids

    source = make_document("垃圾分类", "垃圾分类。")
    assert co_interest_ids(source, 8) == []


def test_related_with_keywords_of_several_pieces(backend, make_document):
    """A keyword such as COVID-19 is searched as a phrase of its pieces; no backend
    may fail on it (the document page shows this block)."""
    source = make_document("COVID-19 防控指南", "COVID-19", keywords=["COVID-19", "防控"])
    other = make_document("COVID-19 疫苗接种", "COVID-19", keywords=["COVID-19", "疫苗"])

    assert related_documents(source) == [other]


def test_unpublishing_and_deleting_leave_the_related_index(backend, make_document):
    """The backend's own related list, before the published() check of the page."""
    source = make_document("垃圾分类", "垃圾分类。")
    unpublished = make_document("垃圾分类指南", "垃圾分类。")
    deleted = make_document("垃圾分类手册", "垃圾分类。")
    terms = related_terms(source)
    assert {unpublished.pk, deleted.pk} <= set(backend.related_ids(source.pk, terms, 10))

    unpublished.published_at = None
    unpublished.save()
    document_changed(unpublished)
    document_deleted(deleted.pk)
    deleted.delete()

    assert backend.related_ids(source.pk, terms, 10) == []


def test_a_rare_shared_keyword_counts_beside_a_very_common_one(backend, make_document, monkeypatch):
    """PostgreSQL ranks a bounded number of each keyword's matches: the document
    sharing the rare keyword as well must not be lost among the common one's."""
    from wenku.discovery.search import postgres

    monkeypatch.setattr(postgres, "RELATED_PER_TERM", 2)
    source = make_document("报告", "正文", keywords=["经济", "榨菜"])
    for n in range(6):
        make_document(f"经济{n}", "正文", keywords=["经济"])
    both = make_document("经济与榨菜", "正文", keywords=["经济", "榨菜"])
    for n in range(6):
        make_document(f"经济{n}", "正文", keywords=["经济"])

    assert related_documents(source)[0] == both
