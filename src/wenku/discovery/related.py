"""你可能关注的文档: documents like this one, by their titles and keywords.

A document's keywords (top TF-IDF words, from the pipeline) are matched against
other documents' titles and keywords through the search backend. Both are short,
so the query touches a few hundred index entries at most, whatever the size of
the site — measured in bench/search.py.
"""

from __future__ import annotations

from wenku.discovery.search import get_backend
from wenku.discovery.search.text import Term, parse_query, rarest, term_pieces

DEFAULT_LIMIT = 8
MAX_TERMS = 8


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
    ids = get_backend().related_ids(document.pk, related_terms(document), limit * 2)
    if not ids:
        return []
    found = Document.objects.published().exclude(pk=document.pk).filter(pk__in=ids)
    by_id = {doc.pk: doc for doc in found.select_related("owner")}
    return [by_id[pk] for pk in ids if pk in by_id][:limit]
