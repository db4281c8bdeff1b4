"""Turning a PDF page's text lines into readable text without breaking words.

PDF text comes as visual lines. Re-joining them is where sites go wrong: a space
inserted at a line break splits a Chinese word (``另一方 面``), while dropping it
glues English words together. The rule: join across a break without a space when
either side of it is CJK, with one space otherwise, and keep a line break where a
line ends a sentence or paragraph.
"""

from __future__ import annotations

import re
import unicodedata

# A line ending a sentence (optionally inside closing quotes) or introducing a
# list keeps its line break: most such breaks are paragraph ends.
_PARAGRAPH_END = re.compile(r"[。！？.!?：:；;…][”’」』\"')）]*$")
_SOFT_HYPHEN = "\u00ad"
# A line narrower than this share of the page's full lines ends its paragraph.
SHORT_LINE = 0.6
MIN_LINES_FOR_WIDTH = 3
MIN_FULL_WIDTH = 20  # below this, lines are a table or a list, not wrapped prose
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def is_cjk(char: str) -> bool:
    """Characters of scripts written without spaces (Han, kana, Hangul) and their punctuation."""
    if not char:
        return False
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK symbols & punctuation, kana, Han
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # CJK compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF  # supplementary ideographs
    )


def clean_line(line: str) -> str:
    """Normalise what PDF extraction leaves in a line, without rewriting its words."""
    line = line.replace("\x00", "").replace("\ufffe", "").replace("\uffff", "")
    line = "".join(ch for ch in line if ch in "\t" or unicodedata.category(ch) != "Cc")
    return line.strip()


def join_lines(lines: list[str]) -> str:
    """Join visual lines into paragraphs separated by newlines.

    A line ends its paragraph when it ends a sentence, or when it is much shorter
    than the page's full lines (a heading, a paragraph's last line); otherwise the
    next line continues it.
    """
    cleaned = [clean_line(line) for line in lines]
    typical = _typical_width(cleaned)
    paragraphs: list[str] = []
    current = previous = ""
    for line in cleaned:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
        elif not current:
            current = line
        elif _ends_paragraph(previous, typical):
            paragraphs.append(current)
            current = line
        else:
            current = _glue(current, line)
        previous = line
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs)


def display_width(line: str) -> int:
    """Width in half-width cells: a CJK character takes two."""
    return sum(2 if is_cjk(ch) else 1 for ch in line)


def _typical_width(lines: list[str]) -> int:
    """The width of a full line on this page, or 0 when there are too few to tell."""
    widths = sorted(display_width(line) for line in lines if line)
    if len(widths) < MIN_LINES_FOR_WIDTH:
        return 0
    typical = widths[int(0.8 * (len(widths) - 1))]
    return typical if typical >= MIN_FULL_WIDTH else 0


def _ends_paragraph(line: str, typical: int) -> bool:
    if _PARAGRAPH_END.search(line):
        return True
    return bool(typical) and display_width(line) < SHORT_LINE * typical


def _glue(previous: str, line: str) -> str:
    """Join two pieces of one paragraph: no space next to CJK, one space otherwise."""
    last, first = previous[-1], line[0]
    if last == "-" and len(previous) > 1 and previous[-2].isalpha() and first.islower():
        # A hyphen at a line end before a lower-case letter is most often a word
        # broken by the typesetter; it is kept (we never rewrite text) but not spaced.
        return previous + line
    if last == _SOFT_HYPHEN:
        return previous[:-1] + line
    if is_cjk(last) or is_cjk(first):
        return previous + line
    return f"{previous} {line}"


def page_text(raw: str) -> str:
    """The readable text of one page from its raw extraction."""
    return join_lines(_LINE_SPLIT.split(raw))


def join_pages(texts: list[str]) -> str:
    """The whole document's text, a paragraph running over a page break read as one.

    Paragraph breaks inside a page are kept; at a page break the last line of a
    page continues on the next page unless it ends a sentence.
    """
    result = ""
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if not result:
            result = text
        elif _PARAGRAPH_END.search(result.rsplit("\n", 1)[-1]):
            result = f"{result}\n{text}"
        else:
            result = _glue(result, text)
    return result
