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
    """Join visual lines into paragraphs separated by newlines."""
    out: list[str] = []
    for raw in lines:
        line = clean_line(raw)
        if not line:
            if out and out[-1] != "\n":
                out.append("\n")
            continue
        if not out or out[-1] == "\n":
            out.append(line)
            continue
        previous = out[-1]
        out[-1] = _join_pair(previous, line)
    return "".join(_split_paragraphs(out)).strip()


def _split_paragraphs(chunks: list[str]) -> list[str]:
    result = []
    for chunk in chunks:
        if chunk == "\n":
            if result and not result[-1].endswith("\n"):
                result.append("\n")
        else:
            result.append(chunk)
    return result


def _join_pair(previous: str, line: str) -> str:
    last, first = previous[-1], line[0]
    if _PARAGRAPH_END.search(previous):
        return f"{previous}\n{line}"
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
    """The whole document's text: pages joined with the same rule as lines.

    A paragraph running over a page break must read as one, so the last line of
    a page and the first of the next are joined like any other two lines.
    """
    lines: list[str] = []
    for text in texts:
        lines.extend(text.split("\n"))
    return join_lines(lines)
