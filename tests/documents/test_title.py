from pathlib import Path

import pytest

from tests.corpus import CORPUS_DIR, require_corpus
from wenku.documents.pipeline.title import derive_title, read_properties_title, title_from_filename


@pytest.mark.parametrize(
    "name",
    [
        "新建 Microsoft Word 文档.docx",
        "document1.docx",
        "IMG_2024.pdf",
        "0123456789abcdef0123.pdf",
        "未命名演示文稿.pptx",
        "  .docx",
    ],
)
def test_meaningless_file_names_give_no_title(name):
    assert title_from_filename(name) == ""


def test_meaningful_file_name_is_the_title():
    assert title_from_filename("2023年 工作总结_终稿.docx") == "2023年 工作总结 终稿"


def test_title_falls_back_to_properties_then_first_line():
    assert derive_title("document1.docx", "城市垃圾分类", "正文") == "城市垃圾分类"
    assert derive_title("document1.docx", "", "\n  第一行标题\n第二行") == "第一行标题"


def test_long_first_line_is_cut_at_a_clause():
    line = "这是一段很长的文字，" * 30
    title = derive_title("scan.pdf", "", line)
    assert len(title) <= 120 and title.endswith("文字")


def test_ole_title_in_utf8_codepage_is_decoded():
    require_corpus()
    path = CORPUS_DIR / "doc-01-mixed-zh-properties.doc"
    assert read_properties_title(path, "doc") == "參考資料"


def test_unreadable_properties_give_empty_title(tmp_path: Path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    assert read_properties_title(broken, "docx") == ""
