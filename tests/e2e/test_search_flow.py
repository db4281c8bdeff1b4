"""Discovery in a real browser: search from the home page, open a result, and find
你可能关注的文档 under it."""

from __future__ import annotations

import pytest

# The discovery tests' fixtures build documents as rows and index them; no converter.
from tests.discovery.conftest import make_document, uploader  # noqa: F401

pytestmark = [pytest.mark.browser]

LIMITS = "函数的极限是微积分的基础。数列极限与函数极限的定义相互联系，连续性由极限刻画。"
TANG = "唐朝的诗歌繁荣，李白与杜甫是最著名的诗人。"


def test_search_open_a_result_and_see_related_documents(
    live_server,
    browser_page,
    make_document,  # noqa: F811
):
    target = make_document("微积分函数极限讲义", LIMITS, keywords=["函数", "极限", "微积分"])
    for n in range(3):
        make_document(f"函数极限练习题{n}", LIMITS, keywords=["函数", "极限", "练习"])
    make_document("唐诗选读", TANG, keywords=["唐朝", "诗歌"])
    page = browser_page

    page.goto(live_server.url + "/")
    page.fill("header form.search input[name=q]", "函数极限讲义")
    page.press("header form.search input[name=q]", "Enter")
    page.wait_for_selector(".results")
    first = page.locator(".result-title a").first
    assert first.inner_text() == "微积分函数极限讲义"
    assert page.locator(".result-title mark").count() >= 1
    assert "唐诗选读" not in page.inner_text(".results")

    first.click()
    page.wait_for_url(f"**{target.get_absolute_url()}")
    related = page.locator("#related")
    assert "你可能关注的文档" in related.inner_text()
    titles = related.locator(".doc-card-title").all_inner_texts()
    assert len(titles) == 3 and all(t.startswith("函数极限练习题") for t in titles)
    assert "微积分函数极限讲义" not in titles
