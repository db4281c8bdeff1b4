"""你可能关注的文档: similar first, never the document itself, never unpublished ones."""

from __future__ import annotations

from wenku.discovery.related import related_documents


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
