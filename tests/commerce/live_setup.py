"""Prepares a fresh data directory for the live-server download tests.

Run as ``python -m tests.commerce.live_setup SIZE`` with WENKU_DATA_DIR set: migrates,
creates a reader, a free published document whose original has SIZE random bytes and
a Chinese name, and a logged-in session; prints what the test needs as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys


def main(size: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenku.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from tests.commerce.helpers import make_document
    from wenku.commerce import downloads
    from wenku.documents import storage

    call_command("migrate", verbosity=0)
    reader = get_user_model().objects.create_user("reader")
    author = get_user_model().objects.create_user("author")
    content = os.urandom(size)
    document = make_document(author, price=0, content=content, filename="断点续传测试 资料.pdf")
    session = SessionStore()
    session[SESSION_KEY] = str(reader.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
    session.create()
    print(
        json.dumps(
            {
                "path": downloads.download_url(reader, document),
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": size,
                "originals": str(storage.originals().path("")),
                "storage_name": document.blob.storage_name,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
