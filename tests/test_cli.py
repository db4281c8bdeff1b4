"""The `wenku` command as an operator runs it: a real process on its own data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.documents.factories import docx_file, pdf_with_pages

WENKU = str(Path(sys.executable).with_name("wenku"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("wenku-data")
    run(directory, "migrate", "--noinput")
    return directory


def run(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "WENKU_DATA_DIR": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [WENKU, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"wenku {args} failed: {result.stdout}\n{result.stderr}")
    return result


@pytest.mark.libreoffice
def test_import_wait_json_then_show(data_dir, tmp_path):
    """GIVEN a folder with a DOCX, a PDF and an empty file, and no worker running
    WHEN `wenku import --wait --json` runs
    THEN each file gets a JSON line with its final status, and `show` prints page texts."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    docx_file(folder, pages=2)
    pdf_with_pages(folder / "scan 2024.pdf", 2)
    (folder / "empty.txt").write_bytes(b"")

    result = run(data_dir, "import", str(folder), "--wait", "--json", "--publish", check=False)
    assert result.returncode == 1, result.stderr  # one file failed
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(line["path"]).name: line for line in lines}
    assert set(by_name) == {"社区图书馆建设的实践与思考.docx", "scan 2024.pdf", "empty.txt"}
    for line in lines:
        assert set(line) >= {
            "path",
            "id",
            "status",
            "format",
            "pages",
            "size",
            "sha256",
            "title",
            "keywords",
            "error",
        }

    docx = by_name["社区图书馆建设的实践与思考.docx"]
    assert docx["status"] == "ready", docx
    assert docx["format"] == "docx" and docx["pages"] >= 1 and docx["error"] is None
    assert docx["title"] == "社区图书馆建设的实践与思考"
    assert by_name["scan 2024.pdf"]["pages"] == 2
    empty = by_name["empty.txt"]
    assert empty["status"] == "failed" and empty["error"] == "The file is empty."

    shown = json.loads(run(data_dir, "show", str(docx["id"]), "--json").stdout)
    assert shown["id"] == docx["id"]
    assert len(shown["pages_text"]) == docx["pages"]
    assert "社区图书馆是居民身边的公共文化空间" in shown["pages_text"][0]


def test_import_without_wait_queues(data_dir, tmp_path):
    path = pdf_with_pages(tmp_path / "queued.pdf", 1)
    result = run(data_dir, "import", str(path), "--json")
    line = json.loads(result.stdout)
    assert line["status"] == "queued"
    # The worker in batch mode drains the queue and exits.
    run(data_dir, "worker", "--batch")
    shown = json.loads(run(data_dir, "show", str(line["id"]), "--json").stdout)
    assert shown["status"] == "ready"
    assert shown["published"] is False


def test_import_missing_path_is_a_clear_error(data_dir, tmp_path):
    result = run(data_dir, "import", str(tmp_path / "nope.docx"), check=False)
    assert result.returncode != 0
    assert "no such file or folder" in result.stderr


def test_show_unknown_id(data_dir):
    result = run(data_dir, "show", "999999", "--json", check=False)
    assert result.returncode != 0 and "no document with id 999999" in result.stderr


def test_management_commands_are_carried(data_dir):
    assert "createsuperuser" in run(data_dir, "help").stdout
