"""A category suggestion for the uploader, from the document's own words.

Simple on purpose: a category scores when its name appears in the document's
title or keywords, and for every keyword it shares with documents already filed
under it. The uploader confirms or changes it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from wenku.discovery.models import Category

NAME_WEIGHT = 5
SAMPLE = 2000  # the most recent categorised documents are enough to know a category's words


class CategorySuggester:
    """Built once per page (two queries), then asked about each document for free."""

    def __init__(self) -> None:
        from wenku.documents.models import Document

        self.categories = list(Category.objects.order_by("position", "name"))
        self.words: dict[str, Counter[int]] = defaultdict(Counter)
        rows = (
            Document.objects.published()
            .filter(category__isnull=False)
            .order_by("-published_at")
            .values_list("category_id", "keywords")[:SAMPLE]
        )
        for category_id, keywords in rows:
            for word in set(keywords or []):
                self.words[word][category_id] += 1

    def suggest(self, document) -> Category | None:
        if not self.categories:
            return None
        keywords = list(document.keywords or [])
        scores: Counter[int] = Counter()
        for category in self.categories:
            if category.name in document.title or category.name in keywords:
                scores[category.pk] += NAME_WEIGHT
        for word in keywords:
            scores.update(self.words.get(word, {}))
        if not scores:
            return None
        best = scores.most_common(1)[0][0]
        return next(c for c in self.categories if c.pk == best)
