"""Search and related-documents benchmark over a synthetic corpus, for each backend.

    .venv/bin/python bench/search.py                     # 100,000 documents, every backend
    .venv/bin/python bench/search.py --documents 5000    # a quick try
    .venv/bin/python bench/search.py --backends fts5,tantivy
    .venv/bin/python bench/search.py --keep /var/tmp/wenku-bench   # build once, time again

Documents are random texts of 200–400 words drawn, by frequency, from the 30,000
most frequent entries of jieba's own dictionary (real Chinese words with a
realistic, Zipf-like spread), titles of 3–6 mid-frequency words, keywords ranked
by TF-IDF as the pipeline ranks them. ``--readers`` users favorite 5–30 documents
each, skewed to a popular few, so that related documents blend real co-interest.
Each backend gets a fresh database (a temporary SQLite file; the PostgreSQL
database ``wenku_bench`` on 127.0.0.1, dropped and created again) and runs in a
child process of its own, because Django's database settings are fixed per process.
With ``--keep DIR`` the built corpus stays in DIR (and ``wenku_bench`` is kept):
a later run with the same ``--documents``, ``--readers``, ``--seed`` and ``--queries`` times the
current code against it without generating and indexing again.

Reported per backend: index build time (`rebuild`, segmentation on ``--workers``
processes), index size, p50/p99 latency of the application's search (top 20 with
highlighted snippets and the total count) for 1-word, 2-word and sentence
queries, next to the bare ranked query of the same terms (one SQL statement, or
one tantivy search call: top 20 ids, no snippets, no count, no visibility check);
1-word queries again newest first, by downloads and PDF only; tag pages (the
view); related documents, for random documents and for the 100 most favorited.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/wenku_bench"
BACKENDS = {
    "fts5": "wenku.discovery.search.sqlite.Fts5Backend",
    "postgres": "wenku.discovery.search.postgres.PostgresBackend",
    "tantivy": "wenku.discovery.search.tantivy.TantivyBackend",
}
BUILT = "bench-built.json"  # in the data folder: the corpus is there, built
VOCABULARY_SIZE = 30_000
VARIANT_QUERIES = 100  # 1-word queries timed again with each other sort and a filter
FORMATS = ["pdf", "docx", "pptx", "xlsx", "txt"]


# --- the parent: one child per backend, then a table ------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="per query kind")
    parser.add_argument("--backends", default="fts5,postgres,tantivy")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--readers", type=int, default=20_000, help="users with favorites (co-interest data)"
    )
    parser.add_argument(
        "--related-only", action="store_true", help="skip the search queries, time related only"
    )
    parser.add_argument("--seed", type=int, default=20240)
    parser.add_argument(
        "--keep", type=Path, help="keep (or reuse) the built corpora in this folder"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return
    results = []
    for name in args.backends.split(","):
        results.append(spawn(name, args))
    print_table(results, args.documents)


def spawn(name: str, args) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wenku.settings", "WENKU_LOG_LEVEL": "WARNING"}
    env["WENKU_SEARCH_BACKEND"] = BACKENDS[name]
    with contextlib.ExitStack() as stack:
        if args.keep:
            data_dir = args.keep / name
            if not built(data_dir, args):  # nothing kept, or an interrupted build: start clean
                shutil.rmtree(data_dir, ignore_errors=True)
            data_dir.mkdir(parents=True, exist_ok=True)
        else:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wenku-bench-")))
        env["WENKU_DATA_DIR"] = str(data_dir)
        env.pop("WENKU_DATABASE_URL", None)
        if name == "postgres":
            if not built(data_dir, args):
                recreate_pg_database()
            env["WENKU_DATABASE_URL"] = PG_URL
        command = [sys.executable, __file__, "--child", name]
        for option in ("documents", "queries", "workers", "seed", "readers"):
            command += [f"--{option}", str(getattr(args, option))]
        if args.related_only:
            command.append("--related-only")
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def built(data_dir: Path, args) -> dict | None:
    """What an earlier run left in ``data_dir`` for the same corpus, if it finished."""
    try:
        state = json.loads((data_dir / BUILT).read_text())
    except FileNotFoundError:
        return None
    return state if state["corpus"] == corpus_key(args) else None


def corpus_key(args) -> list:
    return [args.documents, args.readers, args.seed, args.queries]


def recreate_pg_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as pg:
        pg.execute("DROP DATABASE IF EXISTS wenku_bench")
        pg.execute("CREATE DATABASE wenku_bench")


def print_table(results: list[dict], documents: int) -> None:
    print(f"\nsearch benchmark, {documents:,} documents\n")
    header = f"{'':24}" + "".join(f"{r['backend']:>22}" for r in results)
    print(header)
    rows = [
        ("index build (s)", lambda r: f"{r['build_seconds']:.1f}"),
        ("index size (MB)", lambda r: f"{r['index_mb']:.0f}"),
    ]
    kinds = [kind for kind in ("1-word", "2-word", "sentence") if kind in results[0]]
    for kind in kinds:
        for which in ("app", "bare"):
            rows.append(
                (
                    f"{kind} {which} p50/p99 ms",
                    lambda r, k=kind, w=which: f"{r[k][w]['p50']:.1f} / {r[k][w]['p99']:.1f}",
                )
            )
        rows.append((f"{kind} app/bare p99", lambda r, k=kind: f"{r[k]['ratio_p99']:.2f}x"))
        rows.append((f"{kind} hits (median)", lambda r, k=kind: f"{r[k]['median_total']:,}"))
    if "variants" in results[0]:
        for variant in results[0]["variants"]:
            rows.append(
                (
                    f"1-word {variant} p50/p99",
                    lambda r, v=variant: (
                        f"{r['variants'][v]['p50']:.1f} / {r['variants'][v]['p99']:.1f}"
                    ),
                )
            )
    for key, label in (
        ("tags", "tag page"),
        ("related", "related"),
        ("related_popular", "related, popular"),
    ):
        rows.append(
            (
                f"{label} p50/p99 ms",
                lambda r, k=key: f"{r[k]['p50']:.1f} / {r[k]['p99']:.1f}",
            )
        )
    for label, cell in rows:
        print(f"{label:24}" + "".join(f"{cell(r):>22}" for r in results))


# --- the child: one backend, one database ---------------------------------------


def run_child(args) -> dict:
    import django

    sys.path.insert(0, str(CHECKOUT / "src"))
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from wenku.discovery.search import get_backend

    backend = get_backend()
    state_file = Path(settings.DATA_DIR) / BUILT
    state = built(state_file.parent, args)
    if state:  # a kept corpus: bring its schema up to this code's
        call_command("migrate", verbosity=0)
        if corpus_counts() != state["counts"]:  # e.g. a run without --keep re-created it
            sys.exit(f"{state_file.parent} does not match the database: remove it and run again")
    else:
        state = build(args)
    state_file.write_text(json.dumps(state))
    rng = random.Random()
    rng.setstate(tuple(tuple(part) if isinstance(part, list) else part for part in state["rng"]))
    result = {
        "backend": args.child,
        "build_seconds": state["build_seconds"],
        "index_mb": index_megabytes(args.child),
    }
    queries = {} if args.related_only else state["queries"]
    for kind, batch in queries.items():
        log(f"{args.child}: {kind} queries")
        result[kind] = time_queries(backend, batch, args.child)
    if queries:
        log(f"{args.child}: sorted and filtered 1-word queries")
        result["variants"] = time_variants(backend, queries["1-word"][:VARIANT_QUERIES])
    result["related"] = time_related(rng, args.queries)
    result["related_popular"] = time_related_popular(min(args.queries, 100))
    result["tags"] = time_tags(rng, args.queries)
    return result


def build(args) -> dict:
    """Generate the corpus and index it; returns what a later run needs to reuse it."""
    from django.core.management import call_command

    from wenku.discovery.search import get_backend
    from wenku.documents.models import Document

    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    log(f"{args.child}: generating {args.documents:,} documents")
    texts = generate_corpus(rng, args.documents)
    log(f"{args.child}: {args.readers:,} readers' favorites")
    generate_favorites(rng, args.readers)
    log(f"{args.child}: indexing")
    started = time.perf_counter()
    indexed = get_backend().rebuild(Document.objects.published(), workers=args.workers)
    build_seconds = time.perf_counter() - started
    assert indexed == args.documents, indexed
    queries = make_queries(rng, texts, args.queries)
    return {
        "corpus": corpus_key(args),
        "counts": corpus_counts(),
        "build_seconds": build_seconds,
        "queries": queries,
        "rng": rng.getstate(),
    }


def corpus_counts() -> list[int]:
    from wenku.commerce.models import Favorite
    from wenku.documents.models import Document

    return [Document.objects.count(), Favorite.objects.count()]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def vocabulary() -> tuple[list[str], list[int]]:
    """The most frequent words of jieba's dictionary, Chinese only, with their frequencies."""
    import jieba

    entries = []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as handle:
        for line in handle:
            word, freq, *_ = line.split()
            if all("\u4e00" <= char <= "\u9fff" for char in word):
                entries.append((int(freq), word))
    entries.sort(reverse=True)
    entries = entries[:VOCABULARY_SIZE]
    return [word for _, word in entries], [freq for freq, _ in entries]


def generate_corpus(rng: random.Random, count: int) -> list[list[str]]:
    """Insert ``count`` published documents with one page each; returns their words."""
    import itertools

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from wenku.documents.models import Blob, Document, Page
    from wenku.documents.pipeline.keywords import is_keyword_candidate

    words, freqs = vocabulary()
    cumulative = list(itertools.accumulate(freqs))
    title_words = words[500:20_000]
    idf = _idf()
    owner = get_user_model().objects.create(username="bench")
    blob = Blob.objects.create(sha256="0" * 64, size=1)
    now = timezone.now()
    all_words: list[list[str]] = []
    batch = 2_000
    for start in range(0, count, batch):
        documents, pages = [], []
        for _ in range(min(batch, count - start)):
            body = rng.choices(words, cum_weights=cumulative, k=rng.randint(200, 400))
            title = rng.sample(title_words, rng.randint(3, 6))
            all_words.append(body)
            counts = Counter(w for w in body if is_keyword_candidate(w))
            for word in title:
                counts[word] += 3
            ranked = sorted(counts, key=lambda w: -counts[w] * idf.get(w, 12.0))
            published = now - timezone.timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
            documents.append(
                Document(
                    owner=owner,
                    blob=blob,
                    original_filename="bench.pdf",
                    title="".join(title),
                    format=rng.choice(FORMATS),
                    page_count=rng.randint(1, 300),
                    keywords=ranked[:8],
                    status=Document.Status.READY,
                    processed_at=published,
                    published_at=published,
                )
            )
            pages.append(_punctuate(rng, body))
        with transaction.atomic():
            Document.objects.bulk_create(documents)
            Page.objects.bulk_create(
                Page(document=doc, number=1, width=595, height=842, text=text)
                for doc, text in zip(documents, pages, strict=True)
            )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a live site's autovacuum keeps them
    return all_words


def generate_favorites(rng: random.Random, readers: int) -> None:
    """Each reader favorites 5–30 documents, skewed to a popular few (as readers
    are): the co-interest half of related documents then has real work to do."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from wenku.commerce.models import Favorite
    from wenku.documents.models import Document

    ids = list(Document.objects.order_by("pk").values_list("pk", flat=True))
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"reader{n}") for n in range(readers)
    )
    favorites = []
    for user in users:
        # rng.random() ** 3 puts a tenth of the favorites on the first 0.1% of documents.
        chosen = {ids[int(len(ids) * rng.random() ** 3)] for _ in range(rng.randint(5, 30))}
        favorites.extend(Favorite(user=user, document_id=pk) for pk in chosen)
    with transaction.atomic():
        Favorite.objects.bulk_create(favorites, batch_size=5_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics that know the favorites, as on a live site


def _idf() -> dict[str, float]:
    import jieba.analyse

    return jieba.analyse.default_tfidf.idf_freq


def _punctuate(rng: random.Random, words: list[str]) -> str:
    out = []
    for index, word in enumerate(words, start=1):
        out.append(word)
        if index % rng.randint(8, 16) == 0:
            out.append("，" if rng.random() < 0.7 else "。")
    return "".join(out)


def make_queries(rng: random.Random, texts: list[list[str]], count: int) -> dict[str, list[str]]:
    """1-word and 2-word queries drawn by corpus frequency (readers search popular words);
    sentences are 6–12 consecutive words of a random document (a pasted sentence)."""
    from wenku.discovery.search.text import parse_query

    counts: Counter[str] = Counter()
    for text in texts[:2_000]:
        counts.update(text)
    candidates = [w for w in counts if len(w) >= 2 and parse_query(w)]
    weights = [counts[w] for w in candidates]
    one = rng.choices(candidates, weights=weights, k=count)
    two = [" ".join(rng.choices(candidates, weights=weights, k=2)) for _ in range(count)]
    sentences = []
    for _ in range(count):
        text = rng.choice(texts)
        length = rng.randint(6, 12)
        start = rng.randint(0, len(text) - length)
        sentences.append("".join(text[start : start + length]))
    return {"1-word": one, "2-word": two, "sentence": sentences}


def time_queries(backend, queries: list[str], name: str) -> dict:
    from wenku.discovery.search import text

    bare = bare_query(name)
    for query in queries[:20]:  # warm the caches
        backend.search(query)
    app_times, bare_times, totals = [], [], []
    for query in queries:
        started = time.perf_counter()
        page = backend.search(query)
        app_times.append(time.perf_counter() - started)
        totals.append(page.total)
        terms = text.parse_query(query)
        if not page.matched_all_terms:
            terms = text.rarest(terms, text.OR_FALLBACK_TERMS)
        started = time.perf_counter()
        bare(terms, page.matched_all_terms)
        bare_times.append(time.perf_counter() - started)
    app, raw = summary(app_times), summary(bare_times)
    return {
        "app": app,
        "bare": raw,
        "ratio_p99": app["p99"] / raw["p99"] if raw["p99"] else 0.0,
        "median_total": int(statistics.median(totals)),
    }


def time_variants(backend, queries: list[str]) -> dict:
    """The application alone (no bare twin) for the other sorts and a filter."""
    from wenku.discovery.search import SearchFilters, Sort

    variants = {
        "newest": {"sort": Sort.NEWEST},
        "downloads": {"sort": Sort.DOWNLOADS},
        "PDF only": {"filters": SearchFilters(formats=("pdf",))},
    }
    found = {}
    for name, options in variants.items():
        found[name] = summary(timed(lambda query, o=options: backend.search(query, **o), queries))
    return found


def bare_query(name: str):
    """The ranked query alone: same terms, same weights, top 20 ids."""
    from django.db import connection

    if name == "fts5":
        from wenku.discovery.search.sqlite import SEARCH_WEIGHTS, match_expression

        sql = (
            f"SELECT rowid, bm25(discovery_fts, {SEARCH_WEIGHTS}) AS score FROM discovery_fts "
            "WHERE discovery_fts MATCH %s ORDER BY score LIMIT 20"
        )

        def run(terms, match_all):
            with connection.cursor() as cursor:
                cursor.execute(sql, [match_expression(terms, match_all)])
                return cursor.fetchall()

        return run

    if name == "tantivy":
        from wenku.discovery.search import get_backend

        backend = get_backend()

        def run_tantivy(terms, match_all):
            query = backend._text_query(terms, match_all)
            return backend.index.searcher().search(query, 20, count=False).hits

        return run_tantivy

    from wenku.discovery.search.postgres import RANK_WEIGHTS, tsquery_literal

    sql = (
        "SELECT document_id, ts_rank(%s::float4[], search_vector, %s::tsquery, 1) AS score "
        "FROM discovery_pg_search WHERE search_vector @@ %s::tsquery "
        "ORDER BY score DESC LIMIT 20"
    )

    def run_pg(terms, match_all):
        query = tsquery_literal(terms, match_all)
        with connection.cursor() as cursor:
            cursor.execute(sql, [RANK_WEIGHTS, query, query])
            return cursor.fetchall()

    return run_pg


def time_tags(rng: random.Random, count: int) -> dict:
    """The whole tag page (the view, first page, newest first) for the first keyword
    of random documents: popular tags are drawn more often."""
    from django.test import RequestFactory

    from wenku.discovery.views import tag
    from wenku.documents.models import Document

    ids = list(Document.objects.values_list("pk", flat=True))
    words = [
        keywords[0]
        for keywords in Document.objects.filter(pk__in=rng.sample(ids, count)).values_list(
            "keywords", flat=True
        )
        if keywords
    ]
    requests = RequestFactory()

    def page(word: str) -> None:
        request = requests.get("/tag/", HTTP_HOST="127.0.0.1")
        request.LANGUAGE_CODE = "zh-hans"
        assert tag(request, word).status_code == 200

    for word in words[:5]:  # load and compile the templates
        page(word)
    return summary(timed(page, words))


def time_related(rng: random.Random, count: int) -> dict:
    from wenku.discovery.related import related_documents
    from wenku.documents.models import Document

    ids = list(Document.objects.values_list("pk", flat=True))
    documents = list(Document.objects.filter(pk__in=rng.sample(ids, count)))
    for document in documents[:20]:
        related_documents(document)
    sizes: list[int] = []
    times = timed(lambda document: sizes.append(len(related_documents(document))), documents)
    return {**summary(times), "median_found": statistics.median(sizes)}


def time_related_popular(count: int) -> dict:
    """Related documents of the most favorited documents: the co-interest worst case."""
    from django.db.models import Count

    from wenku.discovery.related import related_documents
    from wenku.documents.models import Document

    popular = Document.objects.annotate(fans=Count("favorites")).order_by("-fans")[:count]
    return summary(timed(related_documents, list(popular)))


def timed(call: Callable[[Any], object], items: Iterable) -> list[float]:
    """Seconds each ``call(item)`` took."""
    times = []
    for item in items:
        started = time.perf_counter()
        call(item)
        times.append(time.perf_counter() - started)
    return times


def summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {
        "p50": 1000 * ordered[len(ordered) // 2],
        "p99": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def index_megabytes(name: str) -> float:
    from django.db import connection

    if name == "tantivy":
        from django.conf import settings

        files = Path(settings.WENKU_SEARCH_INDEX_DIR).iterdir()
        return sum(path.stat().st_size for path in files if path.is_file()) / 1e6
    with connection.cursor() as cursor:
        if name == "fts5":
            cursor.execute("PRAGMA page_size")
            page_size = cursor.fetchone()[0]
            try:
                cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'discovery_fts%%'")
                return cursor.fetchone()[0] / 1e6
            except Exception:  # dbstat not compiled in: whole file less the documents
                cursor.execute("PRAGMA page_count")
                return cursor.fetchone()[0] * page_size / 1e6
        cursor.execute("SELECT pg_total_relation_size('discovery_pg_search')")
        return cursor.fetchone()[0] / 1e6


if __name__ == "__main__":
    main()
