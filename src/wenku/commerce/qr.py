"""QR codes for share links (WeChat users scan them), as inline SVG: no image files,
no third-party service."""

from __future__ import annotations

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> str:
    """An ``<svg>`` element drawing ``data`` as a QR code, scaled by CSS."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    # Drop the XML declaration so the markup can sit inside HTML.
    return svg[svg.index("<svg") :]
