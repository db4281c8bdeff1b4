"""Every real document of ../shared/corpus/public through the whole pipeline.

MANIFEST.tsv says what should happen to each: `ok` becomes ready with pages and
text, `should-reject:CODE` fails with that code, `ok-or-timeout` becomes ready or
fails saying the conversion timed out.
"""

from __future__ import annotations

import pytest

from tests.corpus import CorpusFile, corpus_files, require_corpus
from tests.documents.factories import ingest_file
from wenku.documents.models import Document

pytestmark = [pytest.mark.django_db, pytest.mark.corpus, pytest.mark.libreoffice]
Status = Document.Status

# What a reader must find in the extracted text (exact, byte for byte), and page
# counts where the file states them.
EXPECTED_TEXT = {
    "pdf-10-bad-xref-repairable.pdf": "Hello, world!",
    "rtf-01-zh-simsun-cp936.rtf": "测试",
    "ppt-01-zh-physics-demo.ppt": "平抛运动的分解演示",
    "docx-02-zh-ssd-design.docx": "固态硬盘",
    "xlsx-01-zh-bank-statistics.xlsx": "泰州",
    "xls-01-mixed-zh-provinces.xls": "北京",
    "txt-01-zh-gb2312.txt": "汉语",
    "pptx-01-zh-author-card.pptx": "程序员晚枫",
    "ppt-02-ja-mixed-fonts.ppt": "\U00020b9f",
    "pdf-04-en-paper-formulas.pdf": "Trace-based Just-in-Time Type Specialization",
}
EXPECTED_PAGES = {
    "pdf-01-zh-thesis-formulas.pdf": 24,
    "pdf-02-zh-ustcthesis-guide.pdf": 10,
    "pdf-04-en-paper-formulas.pdf": 14,
    "pdf-05-en-gov-manual-400p.pdf": 400,
    "pdf-06-scanned-no-text.pdf": 8,
    "pdf-07-owner-password-only.pdf": 41,
    "ppt-03-en-ppt95-legacy.ppt": 42,
    "pptx-02-mixed-tables-charts-formula.pptx": 6,
    "pptx-03-en-geometry-lecture.pptx": 14,
    "pptx-01-zh-author-card.pptx": 2,
}
# Files with no text to extract: scanned pages, and a slide holding only a shape.
NO_TEXT = {"pdf-06-scanned-no-text.pdf", "odp-02-en-macro.odp"}
# Seconds allowed for the file that takes LibreOffice minutes, to test the timeout.
TIMEOUT_FOR_SLOW = 30


def cases() -> list:
    files = corpus_files()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="corpus not found"))]
    return [pytest.param(f, id=f.id) for f in files]


@pytest.mark.parametrize("corpus_file", cases())
def test_corpus_file(corpus_file: CorpusFile, user, settings):
    require_corpus()
    if corpus_file.expected == "ok-or-timeout":
        settings.WENKU_CONVERT_TIMEOUT = TIMEOUT_FOR_SLOW
    document = ingest_file(user, corpus_file.path)
    name = corpus_file.id

    if corpus_file.expected.startswith("should-reject:"):
        expected_code = corpus_file.expected.split(":", 1)[1]
        assert (document.status, document.error_code) == (Status.FAILED, expected_code), (
            document.error_message
        )
        return
    if corpus_file.expected == "ok-or-timeout" and document.status == Status.FAILED:
        assert document.error_code == "timeout", document.error_message
        return

    assert document.status == Status.READY, f"{document.error_code}: {document.error_message}"
    assert document.format == corpus_file.format
    assert document.page_count >= 1
    texts = list(document.pages.values_list("text", flat=True))
    assert len(texts) == document.page_count
    if name in EXPECTED_PAGES:
        assert document.page_count == EXPECTED_PAGES[name]
    if name in EXPECTED_TEXT:
        assert any(EXPECTED_TEXT[name] in text for text in texts), texts[:2]
    if name not in NO_TEXT:
        assert "".join(texts).strip(), "no text extracted"
        assert document.keywords
