"""The markdown escaper's two strengths: readable for our own reports, strict for an EHR's renderer."""
from __future__ import annotations

from decision_core import markdown


def test_inline_escapes_only_what_starts_markup_and_keeps_text_readable():
    text = "Stretch 3-5 times.\n  See `hip_flexor` *now* [1] <b>"
    assert markdown.inline(text) == "Stretch 3-5 times. See \\`hip_flexor\\` \\*now\\* \\[1\\] \\<b>"
    assert markdown.cell("a | b") == "a \\| b"


def test_strict_leaves_no_markdown_punctuation_entity_or_tag():
    assert markdown.strict("a_b. 1) #2 &amp; <i>x</i>!") == "a\\_b\\. 1\\) \\#2 \\&amp; \\<i\\>x\\</i\\>\\!"
    assert markdown.strict("line\nbreak") == "line break"
