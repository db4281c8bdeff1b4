"""Page rendering: serial and multi-process rendering give the same pages."""

from __future__ import annotations

from tests.documents.factories import pdf_with_pages
from wenku.documents.pipeline.render import render_pdf


def test_parallel_rendering_matches_serial(tmp_path):
    path = pdf_with_pages(tmp_path / "nine.pdf", 9)
    serial = render_pdf(path, max_pages=100, processes=1).pages
    parallel = render_pdf(path, max_pages=100, processes=2).pages

    assert [p.number for p in parallel] == list(range(1, 10))
    assert [p.text for p in parallel] == [p.text for p in serial]
    assert [p.text for p in parallel][8] == "Page 9 of 9"
    assert [(p.width, p.height) for p in parallel] == [(p.width, p.height) for p in serial]
    assert set(parallel[0].images) == {"large", "thumb"}
    assert all(set(p.images) == {"large"} for p in parallel[1:])
    assert all(p.images["large"].startswith(b"RIFF") for p in parallel)
