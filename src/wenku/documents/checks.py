"""System checks that fail early and clearly when the converter or fonts are missing."""

from __future__ import annotations

import os
import shutil
import subprocess

from django.conf import settings
from django.core.checks import Error, Warning, register

CJK_FONT_FAMILY = "Noto Sans CJK SC"


@register("wenku")
def check_libreoffice(app_configs, **kwargs):
    if shutil.which("soffice"):
        return []
    return [
        Error(
            "LibreOffice (soffice) is not installed: office documents cannot be converted.",
            hint="Run `make install` (Debian packages libreoffice-*-nogui).",
            id="wenku.E001",
        )
    ]


@register("wenku")
def check_cjk_fonts(app_configs, **kwargs):
    if not shutil.which("fc-list"):
        return [Warning("fontconfig is not installed; cannot check fonts.", id="wenku.W002")]
    families = subprocess.run(
        ["fc-list", ":", "family"], capture_output=True, text=True, check=False
    ).stdout
    if CJK_FONT_FAMILY in families:
        return []
    return [
        Error(
            f"The CJK font {CJK_FONT_FAMILY!r} is missing: Chinese text would render as boxes.",
            hint="Run `make install` (Debian package fonts-noto-cjk).",
            id="wenku.E002",
        )
    ]


@register("wenku")
def check_data_dir(app_configs, **kwargs):
    if os.access(settings.DATA_DIR, os.W_OK):
        return []
    return [
        Error(
            f"WENKU_DATA_DIR {settings.DATA_DIR} is not writable.",
            hint="Point WENKU_DATA_DIR at a directory this user can write.",
            id="wenku.E003",
        )
    ]
