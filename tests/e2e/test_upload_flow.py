"""A reader's whole journey through the real pipeline: log in, upload a DOCX, watch it
being processed, open it, see the pages, expand and fold the preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as DocxDocument
from docx.enum.text import WD_BREAK

from wenku.documents.models import Document

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice, pytest.mark.slow]

PASSWORD = "correct-horse-battery"
TITLE = "社区图书馆的一年"
# Our own sample text: a small library's year, one list of paragraphs per page.
PAGES = [
    [
        "街角的社区图书馆开放已经整整一年。馆内有两千多册藏书，"
        "从绘本、小说到养花和修理家电的实用手册，应有尽有。",
        "开馆之初，每天只有十来位读者。如今到了周末，阅读角常常坐满了带着孩子的家长，"
        "还有下棋之余顺便借书的老人。",
        "志愿者们每周二整理书架，修补破损的书脊，并把新捐赠的图书登记入册。",
    ],
    [
        "今年春天，图书馆开始举办亲子共读活动。每周六上午，一位志愿者为孩子们朗读故事，"
        "读完后大家一起画出自己最喜欢的情节。",
        "夏天的晚上，馆里开设了手机使用课堂，教老人们用手机挂号、缴费和视频通话。"
        "课程一共十二次，报名的居民有六十多位。",
        "不少居民把家里读过的书送到馆里。为了让这些书流动起来，图书馆在门口设置了换书架，"
        "任何人都可以放下一本书，再带走一本书。",
    ],
    [
        "一年下来，图书馆共借出图书四千三百余册次，办理借书证五百二十张。",
        "明年，图书馆计划延长晚间开放时间，增加有声读物，并与附近的小学合作，"
        "为放学后无人照看的孩子提供安静的写作业空间。",
        "社区图书馆的故事说明，一个小小的公共空间，也能让邻里之间多一份联系，多一份书香。",
    ],
]


def write_sample_docx(path: Path) -> Path:
    """A three-page DOCX: a Chinese title, then each page's paragraphs, page breaks between."""
    document = DocxDocument()
    document.add_paragraph(TITLE, style="Title")
    for index, paragraphs in enumerate(PAGES):
        for text in paragraphs:
            document.add_paragraph(text)
        if index < len(PAGES) - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.save(path)
    return path


def loaded_images(page, selector: str) -> list[int]:
    """The naturalWidth of each image matched, after scrolling each into view (they are
    loading=lazy, so an image off screen is never fetched)."""
    images = page.locator(selector)
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].every(i => i.complete)", arg=selector
    )
    return page.eval_on_selector_all(selector, "imgs => imgs.map(i => i.naturalWidth)")


def test_upload_then_preview_expand_and_fold(
    live_server, browser_page, django_user_model, settings, tmp_path
):
    # One page at first, so the three-page sample has two pages behind 展开.
    settings.WENKU_INITIAL_PREVIEW_PAGES = 1
    django_user_model.objects.create_user("e2e-reader", password=PASSWORD)
    sample = write_sample_docx(tmp_path / f"{TITLE}.docx")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "e2e-reader")
    page.fill("input[name=password]", PASSWORD)
    page.click(".auth-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "e2e-reader" in page.inner_text(".user-nav")

    page.goto(f"{live_server.url}/upload/")
    # upload.js marks <html class="js">: if static files are not served, stop here
    # with that reason instead of waiting minutes for a status that never comes.
    js_active = page.evaluate("document.documentElement.classList.contains('js')")
    assert js_active, "upload.js did not run: are the static files (STATICFILES_DIRS) served?"
    page.set_input_files("#upload-input", str(sample))
    # With the in-process task backend the pipeline runs inside the upload request.
    page.wait_for_selector(".upload-item.is-ready, .upload-item.is-error", timeout=300_000)
    item = page.locator(".upload-item").first
    assert "is-error" not in (item.get_attribute("class") or ""), item.inner_text()
    assert item.get_attribute("data-status") == "ready"
    assert "已完成" in item.inner_text()

    item.locator("a.open-link").click()
    page.wait_for_selector("#initial-pages img")
    document = Document.objects.get(owner__username="e2e-reader")
    assert page.url == f"{live_server.url}/d/{document.pk}/"
    assert document.page_count == 3
    assert "3页" in page.inner_text(".doc-meta .page-count")
    assert "DOCX" in page.inner_text(".doc-title")
    keywords = page.locator(".keywords .keyword").all_inner_texts()
    assert keywords and keywords == document.keywords
    assert "社区图书馆" in page.inner_text(".doc-text")

    assert page.locator("#initial-pages img").count() == 1
    assert all(width > 0 for width in loaded_images(page, "#initial-pages img"))

    expand = page.locator("#expand-button")
    assert "展开" in expand.inner_text()
    expand.click()
    page.wait_for_selector("#more-pages img")
    assert page.locator("#more-pages img").count() == 2
    assert all(width > 0 for width in loaded_images(page, "#more-pages img"))
    assert not expand.is_visible()

    fold = page.locator("#fold-button")
    assert fold.inner_text() == "收起"
    fold.click()
    assert page.locator("#more-pages img").count() == 0
    assert expand.is_visible()
    assert not fold.is_visible()
