"""你可能关注的文档: documents like this one, by content and by co-interest.

A document's keywords (top TF-IDF words, from the pipeline) are matched against
other documents' titles and keywords through the search backend. Both are short,
so the query touches a few hundred index entries at most, whatever the size of
the site — measured in bench/search.py. That list is blended with what readers who
favorited or bought this document also favorited or bought.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection

from wenku.discovery.search import get_backend
from wenku.discovery.search.text import Term, parse_query, rarest, term_pieces

DEFAULT_LIMIT = 8
MAX_TERMS = 8
# Reciprocal-rank fusion constant: how much a top place in one list outweighs
# places further down; 10 lets a document high in both lists lead.
FUSION_K = 10
# Readers of a document considered for co-interest (the most recent ones), so a
# popular document's block stays a bounded query: with 20,000 readers (bench/search.py)
# 300 find 97% of what 500 find, in half the time at p99.
MAX_READERS = 300


def related_terms(document) -> list[Term]:
    terms: list[Term] = []
    for word in document.keywords or []:
        pieces = tuple(term_pieces(word))
        if pieces and all(term.pieces != pieces for term in terms):
            terms.append(Term(word, pieces))
    if not terms:  # not analysed yet, or no text: the title still says what it is about
        terms = parse_query(document.title)
    return rarest(terms, MAX_TERMS)


def related_documents(document, limit: int = DEFAULT_LIMIT) -> list:
    """Up to ``limit`` published documents like ``document``, best first, never itself."""
    from wenku.documents.models import Document

    # Ask for more than needed: some may have been unpublished since they were indexed.
    by_content = get_backend().related_ids(document.pk, related_terms(document), limit * 2)
    ids = fuse([by_content, co_interest_ids(document, limit * 2)])
    if not ids:
        return []
    found = Document.objects.published().exclude(pk=document.pk).filter(pk__in=ids)
    by_id = {doc.pk: doc for doc in found.select_related("owner")}
    return [by_id[pk] for pk in ids if pk in by_id][:limit]


def co_interest_ids(document, limit: int) -> list[int]:
    """Documents most often favorited or bought by readers who favorited or bought this
    one (a reader counts once per document), most shared first."""
    from wenku.commerce.models import Favorite, Purchase

    fans = Favorite.objects.filter(document=document).order_by("-created_at")
    buyers = Purchase.objects.active().filter(document=document).order_by("-pk")
    readers = set(fans.values_list("user_id", flat=True)[:MAX_READERS])
    readers |= set(buyers.values_list("buyer_id", flat=True)[:MAX_READERS])
    if not readers:
        return []
    # One aggregate in the database, ranked and cut there: a popular document's
    # readers have favorited thousands of others between them.
    favorites, purchases = Favorite._meta.db_table, Purchase._meta.db_table
    placeholders = ", ".join(["%s"] * len(readers))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT document_id FROM ("
            f"SELECT document_id, user_id AS reader FROM {favorites} "
            f"WHERE user_id IN ({placeholders}) UNION "
            f"SELECT document_id, buyer_id FROM {purchases} "
            f"WHERE refunded_at IS NULL AND buyer_id IN ({placeholders})"
            ") AS interest WHERE document_id <> %s "
            "GROUP BY document_id ORDER BY count(*) DESC, document_id LIMIT %s",
            [*readers, *readers, document.pk, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def fuse(rankings: list[list[int]]) -> list[int]:
    """Reciprocal-rank fusion of ranked id lists: no scores to calibrate across lists."""
    scores: Counter[int] = Counter()
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking):
            scores[doc_id] += 1.0 / (FUSION_K + rank)
    return [doc_id for doc_id, _score in scores.most_common()]
