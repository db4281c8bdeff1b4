"""Production settings pass Django's deployment checklist; `makemigrations` is clean."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

WENKU = str(Path(sys.executable).with_name("wenku"))


def wenku(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [WENKU, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_is_clean_for_production_settings(tmp_path):
    result = wenku(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        WENKU_DATA_DIR=str(tmp_path),
        WENKU_HTTPS="1",
        WENKU_SECRET_KEY=secrets.token_urlsafe(64),
        WENKU_ALLOWED_HOSTS="wenku.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_settings_generate_a_private_secret_key(tmp_path):
    result = wenku("check", WENKU_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert len(key_file.read_text()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


def test_no_missing_migrations(tmp_path):
    result = wenku("makemigrations", "--check", "--dry-run", WENKU_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
