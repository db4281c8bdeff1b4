"""The ingestion pipeline end to end on documents we generate, with real LibreOffice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.documents.factories import docx_file, ingest_bytes, ingest_file, pdf_with_pages
from wenku.documents import services, storage
from wenku.documents.models import Blob, Document

pytestmark = pytest.mark.django_db
Status = Document.Status


@pytest.mark.libreoffice
def test_docx_becomes_a_ready_published_document(
    user, tmp_path, django_capture_on_commit_callbacks
):
    path = docx_file(tmp_path)
    # On commit the processing task is enqueued; the test backend runs it at once.
    with django_capture_on_commit_callbacks(execute=True):
        document = services.ingest_path(user, path)
    document.refresh_from_db()

    assert document.status == Status.READY, document.error_message
    assert document.is_published
    assert document.format == "docx"
    assert document.title == "社区图书馆建设的实践与思考"
    assert document.page_count >= 2
    assert "社区图书馆" in document.keywords or "图书馆" in document.keywords
    pages = list(document.pages.all())
    assert [p.number for p in pages] == list(range(1, document.page_count + 1))
    assert "社区图书馆是居民身边的公共文化空间" in pages[0].text
    for page in pages:
        assert storage.pages().exists(page.image_name("large"))
    assert storage.pages().exists(pages[0].image_name("thumb"))
    assert not storage.pages().exists(pages[1].image_name("thumb"))
    transitions = [e.to_status for e in document.events.all()]
    assert transitions == ["queued", "converting", "rendering", "analyzing", "ready"]


def test_pdf_is_rendered_without_conversion(user, tmp_path):
    path = pdf_with_pages(tmp_path / "three.pdf", 3)
    document = ingest_file(user, path)
    assert document.status == Status.READY
    assert document.page_count == 3
    assert document.pages.get(number=2).text == "Page 2 of 3"


def test_identical_bytes_are_stored_once(user, other_user, tmp_path):
    path = pdf_with_pages(tmp_path / "same.pdf", 1)
    first = services.ingest_path(user, path)
    again = services.ingest_path(user, path)
    someone_else = services.ingest_path(other_user, path)

    assert again.pk == first.pk
    assert someone_else.pk != first.pk
    assert someone_else.blob_id == first.blob_id
    assert Blob.objects.count() == 1
    _dirs, files = storage.originals().listdir(first.blob.storage_name.rsplit("/", 1)[0])
    assert files == [first.blob.sha256]


def test_failure_keeps_the_original_and_a_clear_reason(user):
    document = ingest_bytes(user, b"", "empty.txt")
    document.refresh_from_db()
    assert document.status == Status.FAILED
    assert document.error_code == "empty"
    assert storage.originals().exists(document.blob.storage_name)
    assert document.events.last().reason.startswith("empty")


def test_processing_twice_does_nothing_the_second_time(user, tmp_path):
    document = ingest_file(user, pdf_with_pages(tmp_path / "a.pdf", 1))
    assert services.process_document(document.pk) is None
    document.refresh_from_db()
    assert document.status == Status.READY and document.attempts == 1


def test_claim_is_exclusive(user, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 1))
    assert services.claim(document.pk) is not None
    assert services.claim(document.pk) is None


def test_document_abandoned_by_a_killed_worker_is_retried(
    user, tmp_path, settings, django_capture_on_commit_callbacks
):
    """GIVEN a worker died while converting (its lease expired)
    WHEN the stale-document sweep runs
    THEN the document is processed again and becomes ready."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 2))
    services.claim(document.pk)
    Document.objects.filter(pk=document.pk).update(lease_until=timezone.now() - timedelta(1))

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recover_stale() == 1
    document.refresh_from_db()
    assert document.status == Status.READY
    assert document.attempts == 2


def test_document_interrupted_too_often_fails(user, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 1))
    Document.objects.filter(pk=document.pk).update(
        status=Status.RENDERING,
        attempts=settings.WENKU_PROCESS_ATTEMPTS,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    services.recover_stale()
    document.refresh_from_db()
    assert document.status == Status.FAILED
    assert document.error_code == "interrupted"


def test_live_lease_is_not_taken_over(user, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 1))
    services.claim(document.pk)
    assert services.recover_stale() == 0
    assert services.claim(document.pk) is None


def test_reprocess_runs_the_pipeline_again(user, tmp_path, django_capture_on_commit_callbacks):
    document = ingest_file(user, pdf_with_pages(tmp_path / "a.pdf", 2))
    with django_capture_on_commit_callbacks(execute=True):
        services.reprocess(document, actor=user)
    document.refresh_from_db()
    assert document.status == Status.READY
    assert document.pages.count() == 2
    assert document.events.filter(reason="reprocess requested", actor=user).exists()


def test_unpublished_import_stays_private(user, tmp_path):
    document = ingest_file(user, pdf_with_pages(tmp_path / "a.pdf", 1), publish=False)
    assert document.status == Status.READY
    assert not document.is_published
    assert not Document.objects.published().filter(pk=document.pk).exists()


def test_search_index_follows_the_pipeline(user, tmp_path, django_capture_on_commit_callbacks):
    """GIVEN a processed, published document WHEN it is reprocessed and then fails
    THEN search finds it while ready and no longer once it is queued or failed."""
    from wenku.discovery.services import search_documents

    document = ingest_file(user, pdf_with_pages(tmp_path / "pages.pdf", 2))
    assert [r.document.pk for r in search_documents("Page").results] == [document.pk]

    services.reprocess(document, actor=user)  # on-commit processing not run: stays queued
    assert search_documents("Page").results == []
    services.fail(document, "corrupt", "test")
    assert search_documents("Page").results == []


def test_owner_edits_made_while_processing_survive(user, tmp_path, monkeypatch):
    """GIVEN the owner sets a price and a shorter preview while the document renders
    WHEN the pipeline saves its results THEN the owner's settings are kept."""
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 3))
    original_render = services.render_step.render_pdf

    def render_while_owner_edits(*args, **kwargs):
        Document.objects.filter(pk=document.pk).update(price=80, preview_pages=1)
        return original_render(*args, **kwargs)

    monkeypatch.setattr(services.render_step, "render_pdf", render_while_owner_edits)
    services.process_document(document.pk)
    document.refresh_from_db()
    assert document.status == Status.READY
    assert (document.price, document.preview_pages) == (80, 1)


def test_a_run_whose_lease_was_taken_over_keeps_its_hands_off(user, tmp_path, monkeypatch):
    """GIVEN a slow run's lease expired and another run claimed the document
    WHEN the slow run finishes THEN its result is dropped, the other run's state stays."""
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 2))
    original_render = services.render_step.render_pdf
    later = timezone.now() + timedelta(hours=1)

    def render_then_lose_the_lease(*args, **kwargs):
        Document.objects.filter(pk=document.pk).update(lease_until=later)  # taken over
        return original_render(*args, **kwargs)

    monkeypatch.setattr(services.render_step, "render_pdf", render_then_lose_the_lease)
    services.process_document(document.pk)
    document.refresh_from_db()
    assert document.status == Status.RENDERING
    assert document.lease_until == later
    assert document.pages.count() == 0


def test_failure_of_a_run_that_lost_its_lease_is_dropped(user, tmp_path, settings):
    """GIVEN a run claimed a document, then another run finished it (ready)
    WHEN the first run crashes late THEN the ready document is not marked failed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 2))
    slow_run = services.claim(document.pk)
    Document.objects.filter(pk=document.pk).update(status=Status.READY, lease_until=None)

    assert services._fail_if_holding(slow_run, "internal", "late crash") is False
    document.refresh_from_db()
    assert document.status == Status.READY


def test_queued_document_whose_task_was_lost_is_enqueued_again(
    user, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 1))
    assert services.recover_stale() == 0  # still within its grace time
    Document.objects.filter(pk=document.pk).update(lease_until=timezone.now() - timedelta(1))

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recover_stale() == 1
    document.refresh_from_db()
    assert document.status == Status.READY


def test_keywords_come_from_the_pages_anyone_may_read(user, tmp_path, settings):
    settings.WENKU_DEFAULT_PREVIEW_PAGES = 1
    texts = ["Lighthouse keepers logbook lighthouse", "Confidential treasure coordinates"]
    document = ingest_file(user, pdf_with_pages(tmp_path / "log.pdf", 2, texts))
    words = {word.lower() for word in document.keywords}
    assert "lighthouse" in words
    assert not words & {"confidential", "treasure", "coordinates"}
    assert document.pages.get(number=2).text == texts[1]  # extracted all the same
