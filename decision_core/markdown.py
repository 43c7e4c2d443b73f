"""The markdown escaper: text from rulesets, clinics and patients made inert in markdown.

Every function puts the text on one line (line breaks would end a list item or a table row)
and escapes what would start markup. Two strengths, for two kinds of reader:

* ``inline`` (and ``cell`` for a table cell): for the markdown reports, documents we write
  whole and that people read as plain text as often as rendered. Only what would start
  markup is escaped (backslash, code, emphasis, links, HTML), so the text stays readable;
  underscores inside words (cause ids) never start emphasis, so they stay as they are.
* ``strict``: for text that someone else's renderer shows (a CDS card's detail in an EHR).
  Their markdown dialects and HTML sanitising are unknown, so every markdown punctuation
  character is escaped, and ``&``, ``<`` and ``>`` too, so nothing in it can become markup,
  an entity or a tag.

HTML has one escaper too: Jinja's autoescape (markupsafe) in every HTML template.
"""
from __future__ import annotations

import re
from typing import Any

_INLINE_SPECIAL = ("\\", "`", "*", "[", "]", "<")  # backslash first: the escapes' own backslashes stay single
_STRICT_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def one_line(value: Any) -> str:
    """The text with every run of whitespace (line breaks too) made one space, and trimmed."""
    return " ".join(str(value).split())


def inline(value: Any) -> str:
    """Markdown-safe inline text for our own documents: no line breaks, markup starters escaped."""
    text = one_line(value)
    for ch in _INLINE_SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return text


def cell(value: Any) -> str:
    """``inline`` for a table cell: a '|' would end the cell."""
    return inline(value).replace("|", "\\|")


def strict(value: Any) -> str:
    """Text made inert in any markdown renderer (and in any HTML one renders it to)."""
    return _STRICT_SPECIAL.sub(r"\\\1", one_line(value))
