"""The real documents in ../shared/corpus/public and what should happen to each."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(
    os.environ.get("WENKU_CORPUS_DIR", REPO_DIR.parent / "shared" / "corpus" / "public")
)


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    format: str
    expected: str  # "ok", "ok-or-timeout" or "should-reject:<code>"
    features: str

    @property
    def id(self) -> str:
        return self.path.name


def corpus_files() -> list[CorpusFile]:
    manifest = CORPUS_DIR / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        CorpusFile(CORPUS_DIR / row["file"], row["format"], row["expected"], row["features"])
        for row in rows
    ]


def require_corpus() -> None:
    if not (CORPUS_DIR / "MANIFEST.tsv").exists():
        pytest.skip(f"real-document corpus not found at {CORPUS_DIR} (set WENKU_CORPUS_DIR)")
