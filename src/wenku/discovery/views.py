"""The discovery pages: search results, categories, tags, robots.txt.

Search goes through the engine (services.search_documents); category and tag pages
list documents with the ORM, because the engine ranks text matches and has nothing
to rank when there is no query. Both read the same filters from the query string.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from wenku.discovery.models import Category
from wenku.discovery.plans import fetch_all_when_few, prefer_indexes
from wenku.discovery.rankings import newest, rankings
from wenku.discovery.search import Price, SearchFilters, Sort
from wenku.discovery.search.base import MAX_PAGE
from wenku.discovery.search.text import parse_query
from wenku.discovery.services import search_documents

PAGE_SIZE = 20
# Format filter groups: readers think "Word", not "docx or doc or odt".
FORMAT_GROUPS: dict[str, tuple[object, tuple[str, ...]]] = {
    "pdf": ("PDF", ("pdf",)),
    "word": ("Word", ("doc", "docx", "odt", "rtf")),
    "ppt": ("PPT", ("ppt", "pptx", "odp")),
    "excel": ("Excel", ("xls", "xlsx", "ods")),
    "txt": ("TXT", ("txt",)),
    "epub": ("EPUB", ("epub",)),
}
# Page-count ranges offered as a select; any "a-b" in the URL is accepted too.
PAGE_RANGES = {"1-5": _("1–5 pages"), "6-20": _("6–20 pages"), "21-": _("21 pages and more")}
SORTS = {
    Sort.RELEVANCE: _("Relevance"),
    Sort.NEWEST: _("Newest"),
    Sort.DOWNLOADS: _("Most downloaded"),
}
PRICES = {Price.FREE: _("Free"), Price.PAID: _("Paid")}
MAX_KEYWORD_CHARS = 64


@dataclass(frozen=True)
class Listing:
    """What the filter form shows as chosen, and the filters it means."""

    format: str
    category: Category | None
    price: Price | None
    pages: str
    sort: Sort
    filters: SearchFilters


def read_listing(request: HttpRequest, default_sort: Sort, category: Category | None) -> Listing:
    """Filters from the query string; anything malformed is ignored, never an error."""
    params = request.GET
    fmt = params.get("format", "")
    formats = FORMAT_GROUPS[fmt][1] if fmt in FORMAT_GROUPS else ()
    if category is None and params.get("category", "").isdigit():
        category = Category.objects.filter(pk=int(params["category"])).first()
    try:
        price = Price(params.get("price", ""))
    except ValueError:
        price = None
    pages = params.get("pages", "")
    min_pages, max_pages = _page_range(pages)
    try:
        sort = Sort(params.get("sort", ""))
    except ValueError:
        sort = default_sort
    filters = SearchFilters(
        formats=formats,
        category_ids=tuple(category.descendant_ids()) if category else (),
        price=price,
        min_pages=min_pages,
        max_pages=max_pages,
    )
    if min_pages is None and max_pages is None:
        pages = ""
    return Listing(fmt if formats else "", category, price, pages, sort, filters)


def _page_range(value: str) -> tuple[int | None, int | None]:
    low, sep, high = value.partition("-")
    if not sep:
        return None, None
    low_n = int(low) if low.isdigit() and len(low) < 7 else None
    high_n = int(high) if high.isdigit() and len(high) < 7 else None
    return low_n, high_n


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return max(1, min(int(value), MAX_PAGE)) if value.isdigit() and len(value) < 6 else 1


def filter_documents(documents: QuerySet, listing: Listing) -> QuerySet:
    """The ORM twin of the engine's WHERE clause (search/filters_sql.py), for pages
    without a query."""
    f = listing.filters
    if f.formats:
        documents = documents.filter(format__in=f.formats)
    if f.category_ids:
        documents = documents.filter(category_id__in=f.category_ids)
    if f.price == Price.FREE:
        documents = documents.filter(price=0)
    elif f.price == Price.PAID:
        documents = documents.filter(price__gt=0)
    if f.min_pages is not None:
        documents = documents.filter(page_count__gte=f.min_pages)
    if f.max_pages is not None:
        documents = documents.filter(page_count__lte=f.max_pages)
    if listing.sort == Sort.DOWNLOADS:
        counted = Count("downloads", filter=Q(downloads__counted=True))
        return documents.annotate(download_total=counted).order_by(
            "-download_total", "-published_at", "-id"
        )
    return documents.order_by("-published_at", "-id")


def _form_context(listing: Listing, sorts: dict) -> dict[str, object]:
    return {
        "listing": listing,
        "format_choices": [(key, label) for key, (label, _f) in FORMAT_GROUPS.items()],
        "price_choices": list(PRICES.items()),
        "page_choices": list(PAGE_RANGES.items()),
        "sort_choices": list(sorts.items()),
    }


def _canonical(request: HttpRequest, path: str, page: int, **params: str) -> str:
    """The one URL search engines should keep for this list: no filters, page kept."""
    from urllib.parse import urlencode

    query = {k: v for k, v in params.items() if v}
    if page > 1:
        query["page"] = str(page)
    return request.build_absolute_uri(path + (f"?{urlencode(query)}" if query else ""))


# --- search ---------------------------------------------------------------------------


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    listing = read_listing(request, Sort.RELEVANCE, None)
    page = _page_number(request)
    context: dict[str, object] = {
        "query": query,
        "categories": Category.objects.filter(parent=None).order_by("position", "name"),
        "canonical_url": _canonical(request, reverse("discovery:search"), page, q=query),
        **_form_context(listing, SORTS),
    }
    if not parse_query(query):
        # Nothing searchable (empty, punctuation, control characters): help instead.
        context.update(suggestions=rankings(size=8), newest=newest(size=8))
        return render(request, "discovery/search_help.html", context)
    found = search_documents(query, listing.filters, listing.sort, page, PAGE_SIZE)
    context.update(
        results=found.results,
        found=found.page,
        page_numbers=_page_numbers(found.page.page, found.page.num_pages),
    )
    if not found.results:
        context.update(suggestions=rankings(size=8), newest=newest(size=8))
    return render(request, "discovery/search.html", context)


def _page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: None marks a gap."""
    shown = {1, last, *range(current - around, current + around + 1)}
    numbers: list[int | None] = []
    for n in sorted(n for n in shown if 1 <= n <= last):
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


# --- categories -----------------------------------------------------------------------


@require_safe
def category_index(request: HttpRequest) -> HttpResponse:
    """Every category as a tree (one query: the tree is small), with document counts."""
    from wenku.documents.models import Document

    counts = dict(
        Document.objects.published()
        .filter(category__isnull=False)
        .values_list("category_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    children: dict[int | None, list[Category]] = {}
    for category in Category.objects.order_by("position", "name"):
        category.document_count = counts.get(category.pk, 0)
        children.setdefault(category.parent_id, []).append(category)
    for nodes in children.values():
        for node in nodes:
            node.child_nodes = children.get(node.pk, [])
    context = {
        "roots": children.get(None, []),
        "canonical_url": request.build_absolute_uri(reverse("discovery:categories")),
    }
    return render(request, "discovery/categories.html", context)


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    from wenku.documents.models import Document

    node = get_object_or_404(Category.objects.select_related("parent"), slug=slug)
    listing = read_listing(request, Sort.NEWEST, node)
    documents = filter_documents(Document.objects.published().select_related("owner"), listing)
    page_obj = Paginator(documents, PAGE_SIZE).get_page(_page_number(request))
    context = {
        "category": node,
        "subcategories": node.children.all(),
        "page_obj": page_obj,
        "page_numbers": _page_numbers(page_obj.number, page_obj.paginator.num_pages),
        "canonical_url": _canonical(request, node.get_absolute_url(), page_obj.number),
        **_form_context(listing, {k: v for k, v in SORTS.items() if k != Sort.RELEVANCE}),
    }
    return render(request, "discovery/category.html", context)


# --- tags -----------------------------------------------------------------------------


@require_safe
def tag(request: HttpRequest, keyword: str) -> HttpResponse:
    from wenku.documents.models import Document

    keyword = keyword.strip()
    if not keyword or len(keyword) > MAX_KEYWORD_CHARS:
        raise Http404
    listing = read_listing(request, Sort.NEWEST, None)
    documents = filter_documents(
        with_keyword(Document.objects.published(), keyword).select_related("owner"), listing
    )
    # The keyword index, even for a tag on thousands of documents (see plans.py);
    # only the listing's own queries, read here, not the rest of the page's.
    with prefer_indexes():
        page_obj = Paginator(documents, PAGE_SIZE).get_page(_page_number(request))
        fetch_all_when_few(page_obj.paginator.count)
        page_obj.object_list = list(page_obj.object_list)
    context = {
        "keyword": keyword,
        "page_obj": page_obj,
        "page_numbers": _page_numbers(page_obj.number, page_obj.paginator.num_pages),
        "canonical_url": _canonical(
            request, reverse("discovery:tag", args=[keyword]), page_obj.number
        ),
        **_form_context(listing, {k: v for k, v in SORTS.items() if k != Sort.RELEVANCE}),
    }
    return render(request, "discovery/tag.html", context)


def with_keyword(documents: QuerySet, keyword: str) -> QuerySet:
    """Documents whose keyword list holds exactly this word, through the index of
    migration 0005: jsonb containment (GIN) on PostgreSQL, the trigger-kept
    ``discovery_keyword`` table on SQLite."""
    if connection.vendor == "postgresql":
        return documents.filter(keywords__contains=[keyword])
    tagged = RawSQL("SELECT document_id FROM discovery_keyword WHERE word = %s", [keyword])
    return documents.filter(pk__in=tagged)


# --- robots ---------------------------------------------------------------------------


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri(reverse("discovery:sitemap_index"))
    lines = [
        "User-agent: *",
        "Allow: /",
        # Accounts, the back office, uploading and buying are for people, not crawlers;
        # downloads would only waste the crawl on signed, expiring links.
        "Disallow: /accounts/",
        "Disallow: /admin/",
        "Disallow: /upload/",
        "Disallow: /me/",
        "Disallow: /download/",
        "Disallow: /d/*/download/",
        "Disallow: /d/*/get/",
        "Disallow: /d/*/buy/",
        f"Sitemap: {sitemap}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
