"""Why a document could not be processed, in words a person understands.

Each pipeline step raises :class:`RejectedDocument` with a stable ``code``; the
message shown to users is looked up from the code at display time, so it follows
the reader's language, while ``detail`` keeps the technical cause for operators.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "empty": _("The file is empty."),
    "encrypted": _("The file is password-protected. Remove the password and upload it again."),
    "corrupt": _("The file is damaged and cannot be opened."),
    "xmlbomb": _("The file contains a malicious structure (an XML or zip bomb) and was refused."),
    "unsupported": _(
        "This file type is not supported. Upload DOC, DOCX, PPT, PPTX, XLS, XLSX, ODT, ODP, "
        "ODS, RTF, PDF, EPUB or TXT."
    ),
    "too_large": _("The file is larger than the upload limit."),
    "too_many_pages": _("The document has more pages than this site accepts."),
    "no_pages": _("The document has no pages."),
    "timeout": _("The conversion timed out: the document is too complex to preview."),
    "conversion_failed": _("The document could not be converted for preview."),
    "interrupted": _("Processing was interrupted several times; an operator has to look at it."),
    "internal": _("An unexpected error occurred while processing the document."),
}


class RejectedDocument(Exception):
    """A document that cannot become a preview, for a reason we can name."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown rejection code {code!r}")
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


def message_for(code: str) -> str:
    return str(MESSAGES.get(code, MESSAGES["internal"]))
