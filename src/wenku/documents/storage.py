"""Content-addressed storage of originals and per-document storage of page images."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

CHUNK = 1024 * 1024


def originals() -> Storage:
    return storages["originals"]


def pages() -> Storage:
    return storages["pages"]


@dataclass(frozen=True)
class SpooledFile:
    """A local copy of incoming bytes, with the digest computed while copying."""

    path: Path
    sha256: str
    size: int


def spool(chunks: Iterable[bytes], *, max_bytes: int | None = None) -> SpooledFile:
    """Copy incoming bytes to a private temporary file, hashing on the way.

    Raises ValueError as soon as ``max_bytes`` is exceeded, so an oversized upload
    is never kept whole on disk.
    """
    settings.WENKU_TMP_DIR.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    # Closed by the `with handle` below; delete=False because the caller moves it on.
    handle = tempfile.NamedTemporaryFile(dir=settings.WENKU_TMP_DIR, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle:
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise ValueError(f"file exceeds {max_bytes} bytes")
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return SpooledFile(path=path, sha256=digest.hexdigest(), size=size)


def store_original(spooled: SpooledFile, name: str) -> None:
    """Write a spooled file under its content address, once; an existing copy is kept.

    On the local filesystem the file appears whole or not at all (written beside its
    final name, then renamed), so a concurrent upload of the same bytes never finds a
    half-written original; object stores write a whole object per request anyway.
    """
    storage = originals()
    if storage.exists(name):
        return
    try:
        final = Path(storage.path(name))
    except NotImplementedError:  # not on the local filesystem
        with spooled.path.open("rb") as handle:
            saved = storage.save(name, File(handle))
        if saved != name:  # a concurrent writer stored the same bytes first
            storage.delete(saved)
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(f".{final.name}.{os.getpid()}.partial")
    shutil.copyfile(spooled.path, partial)
    os.replace(partial, final)


def verify_sha256(storage: Storage, name: str, expected: str) -> bool:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest() == expected


def copy_to_local(storage: Storage, name: str, target: Path, *, sha256: str) -> Path:
    """Fetch a stored file to a local path, verifying its content address on the way."""
    digest = hashlib.sha256()
    with storage.open(name, "rb") as src, target.open("wb") as dst:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
            dst.write(chunk)
    if digest.hexdigest() != sha256:
        raise CorruptOriginal(f"{name}: stored bytes do not match their sha256")
    return target


class CorruptOriginal(OSError):
    """A stored original whose bytes no longer match their address: never process it."""
