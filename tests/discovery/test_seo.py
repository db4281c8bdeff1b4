"""What crawlers and link previews read: sitemap, robots.txt, canonical, OpenGraph, JSON-LD."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from wenku.discovery.models import Category
from wenku.discovery.search import reset_backend
from wenku.discovery.sitemaps import DocumentSitemap

pytestmark = pytest.mark.django_db

TEXT = "函数的极限与连续性是高等数学的基础内容。" * 20


@pytest.fixture(autouse=True)
def _default_backend():
    reset_backend()
    yield
    reset_backend()


class HeadParser(HTMLParser):
    """Meta tags, link tags and JSON-LD script bodies, as a crawler would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta":
            self.meta[a.get("property") or a.get("name") or ""] = a.get("content", "")
        elif tag == "link":
            self.links[a.get("rel", "")] = a.get("href", "")
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld[-1] += data


def parse(response) -> HeadParser:
    assert response.status_code == 200
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def test_detail_page_has_title_description_canonical_and_opengraph(client, make_document):
    doc = make_document("高等数学讲义", TEXT, keywords=["函数", "极限"])
    response = client.get(doc.get_absolute_url())
    head = parse(response)
    url = f"http://testserver{doc.get_absolute_url()}"
    assert "<title>高等数学讲义 ·" in response.content.decode()
    assert head.links["canonical"] == url
    assert head.meta["description"].startswith("函数的极限与连续性")
    assert len(head.meta["description"]) <= 121
    assert head.meta["og:title"] == "高等数学讲义"
    assert head.meta["og:url"] == url
    thumb = reverse("documents:page_image", args=[doc.pk, 1, "thumb"])
    assert head.meta["og:image"] == f"http://testserver{thumb}"
    assert head.meta["og:description"] == head.meta["description"]


def test_json_ld_describes_the_document(client, make_document):
    doc = make_document("高等数学讲义", TEXT, TEXT, format="docx", keywords=["函数", "极限"])
    (payload,) = parse(client.get(doc.get_absolute_url())).json_ld
    data = json.loads(payload)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "DigitalDocument"
    assert data["name"] == "高等数学讲义"
    assert data["numberOfPages"] == 2
    assert data["author"] == {"@type": "Person", "name": "uploader"}
    assert data["inLanguage"] == "zh-CN"
    assert data["keywords"] == "函数, 极限"
    assert data["encodingFormat"].endswith("wordprocessingml.document")
    assert data["dateCreated"].startswith(doc.published_at.date().isoformat()[:4])


def test_a_title_cannot_break_out_of_the_json_ld_script(client, make_document):
    title = '</script><script>alert("x")</script><!-- & "quotes"'
    doc = make_document(title, TEXT, keywords=["</script>"])
    html = client.get(doc.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    head = parse(client.get(doc.get_absolute_url()))
    (payload,) = head.json_ld
    assert json.loads(payload)["name"] == title
    assert head.meta["og:title"] == title


def test_unpublished_document_has_no_json_ld(client, make_document, uploader):
    doc = make_document("草稿", TEXT, published=False)
    client.force_login(uploader)
    assert parse(client.get(doc.get_absolute_url())).json_ld == []


def test_list_pages_have_canonical_urls(client, make_document):
    Category.objects.create(name="数学", slug="maths")
    make_document("高等数学讲义", TEXT, keywords=["函数"])
    cases = {
        "/c/maths/?sort=newest&format=pdf": "http://testserver/c/maths/",
        "/c/maths/?page=1": "http://testserver/c/maths/",
        "/c/": "http://testserver/c/",
        reverse("discovery:tag", args=["函数"]) + "?price=free": "http://testserver"
        + reverse("discovery:tag", args=["函数"]),
        "/search/?q=函数&format=pdf": "http://testserver/search/?q=%E5%87%BD%E6%95%B0",
    }
    for url, canonical in cases.items():
        assert parse(client.get(url)).links["canonical"] == canonical, url


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for rule in ("Allow: /", "Disallow: /accounts/", "Disallow: /admin/", "Disallow: /upload/"):
        assert rule in body.splitlines()
    assert "Disallow: /d/*/download/" in body
    assert "Disallow: /download/" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body


def test_sitemap_index_pages_large_sites(client, make_document, monkeypatch):
    monkeypatch.setattr(DocumentSitemap, "limit", 2)
    docs = [make_document(f"讲义{n}", TEXT) for n in range(5)]
    draft = make_document("草稿", TEXT, published=False)
    Category.objects.create(name="数学", slug="maths")

    index = client.get("/sitemap.xml").content.decode()
    pages = re.findall(r"<loc>([^<]+)</loc>", index)
    assert "http://testserver/sitemap-documents.xml" in pages
    assert "http://testserver/sitemap-documents.xml?p=3" in pages
    assert "http://testserver/sitemap-categories.xml" in pages

    listed: list[str] = []
    for p in (1, 2, 3):
        body = client.get(f"/sitemap-documents.xml?p={p}").content.decode()
        listed += re.findall(r"<loc>([^<]+)</loc>", body)
    assert listed == [f"http://testserver{d.get_absolute_url()}" for d in docs]
    assert f"http://testserver{draft.get_absolute_url()}" not in listed
    assert client.get("/sitemap-documents.xml?p=4").status_code == 404

    categories = client.get("/sitemap-categories.xml").content.decode()
    assert "http://testserver/c/maths/" in categories
    assert "http://testserver/" in client.get("/sitemap-pages.xml").content.decode()
