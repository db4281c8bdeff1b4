"""A worker killed mid-task (SIGKILL, real processes) leaves no document stuck."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.corpus import CORPUS_DIR, require_corpus

WENKU = str(Path(sys.executable).with_name("wenku"))
SLOW_FILE = "odt-01-mixed-zh-200-charts.odt"  # LibreOffice needs minutes for it

pytestmark = [pytest.mark.libreoffice, pytest.mark.corpus, pytest.mark.slow]


def environment(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "WENKU_DATA_DIR": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Short leases so the test sees the recovery: 2 x 4 s + 0 s.
    env.update(WENKU_CONVERT_TIMEOUT="4", WENKU_LEASE_MARGIN="0")
    return env


def wenku(data_dir: Path, *args: str) -> str:
    return subprocess.run(
        [WENKU, *args], env=environment(data_dir), capture_output=True, text=True,
        timeout=300, check=True,
    ).stdout  # fmt: skip


def show(data_dir: Path, document_id: int) -> dict:
    return json.loads(wenku(data_dir, "show", str(document_id), "--json"))


def kill_everything_under(data_dir: Path) -> None:
    """LibreOffice children run in their own sessions; find them by their profile path."""
    subprocess.run(["pkill", "-9", "-f", str(data_dir)], check=False)


def test_document_of_a_killed_worker_is_retried_then_finished(tmp_path):
    """GIVEN a worker converting a slow document WHEN it is killed with SIGKILL
    THEN, once its lease expires, the next worker retries the document and it ends
    in a final state (here: failed with `timeout`), never stuck in `converting`."""
    require_corpus()
    data_dir = tmp_path / "data"
    wenku(data_dir, "migrate", "--noinput")
    line = json.loads(wenku(data_dir, "import", str(CORPUS_DIR / SLOW_FILE), "--json"))
    document_id = line["id"]

    worker = subprocess.Popen(
        [WENKU, "worker"], env=environment(data_dir), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while show(data_dir, document_id)["stage"] != "converting":
            assert time.monotonic() < deadline, "the worker never started converting"
            time.sleep(0.3)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        kill_everything_under(data_dir)

    assert show(data_dir, document_id)["stage"] == "converting"  # abandoned mid-task
    time.sleep(9)  # the 8 s lease runs out
    wenku(data_dir, "worker", "--batch")  # sweeps at start, then drains the queue
    kill_everything_under(data_dir)

    final = show(data_dir, document_id)
    assert final["status"] == "failed", final
    assert final["error_code"] == "timeout"
    with sqlite3.connect(data_dir / "wenku.sqlite3") as db:
        reasons = [row[0] for row in db.execute(
            "SELECT reason FROM documents_documentevent WHERE document_id = ? ORDER BY id",
            [document_id],
        )]  # fmt: skip
        attempts = db.execute(
            "SELECT attempts FROM documents_document WHERE id = ?", [document_id]
        ).fetchone()[0]
    assert "lease expired; retrying" in reasons
    assert attempts == 2
