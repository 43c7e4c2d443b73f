"""The citation checks of ``decision-core lint``.

Always: a citation of a source whose registry entry requires quotes (every
``article``) must carry a ``quote`` (``missing_quote``). Citations of source ids
no ruleset registers are rejected by the catalogue build itself
(``unknown_source``).

With ``--sources DIR``: every quote is looked up in the text of its source,
``DIR/NNN_*.txt`` keyed by the three-digit prefix, ignoring whitespace, case and
typographic differences (curly and straight quotes and apostrophes, dashes and
hyphens, the ellipsis). A quote not found is ``quote_not_found``; a quoted
source with a quote requirement but no text in DIR is ``source_text_missing``.
Sources without a text file of their own (the product's ``policy``) are not
looked up.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from decision_core.catalogue.loading import RulesetDocument
from decision_core.lint.issues import ERROR, Issue
from decision_core.catalogue.sources import Source, cited

log = logging.getLogger(__name__)

SOURCE_TEXT = re.compile(r"^(\d{3})_.*\.txt$")
QUOTE_SHOWN = 80  # characters of a quote repeated in a message

_TYPOGRAPHIC = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...",
})
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text as quotes are compared: typographic marks made plain, case folded, all whitespace removed."""
    return _WHITESPACE.sub("", text.translate(_TYPOGRAPHIC).casefold())


@dataclass(frozen=True)
class SourceText:
    id: str
    path: Path
    normalised: str

    def contains(self, quote: str) -> bool:
        return normalise(quote) in self.normalised


def load_source_texts(directory: Path | str) -> dict[str, SourceText]:
    """The source texts in ``directory`` by id: files named ``NNN_*.txt`` (NNN the source id)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder of source texts")
    texts: dict[str, SourceText] = {}
    for path in sorted(folder.iterdir()):
        match = SOURCE_TEXT.match(path.name)
        if not match or not path.is_file():
            continue
        sid = match.group(1)
        if sid in texts:
            raise ValueError(f"{folder}: two texts for source {sid} ({texts[sid].path.name}, {path.name})")
        texts[sid] = SourceText(sid, path, normalise(path.read_text(encoding="utf-8", errors="replace")))
    if not texts:
        raise FileNotFoundError(f"{folder}: no source texts named NNN_*.txt")
    log.debug("source texts: %s", ", ".join(f"{t.id} ({t.path.name})" for t in texts.values()))
    return texts


def citation_issues(docs: Iterable[RulesetDocument], registry: dict[str, Source],
                    texts: dict[str, SourceText] | None, stats: dict) -> list:
    """Issues of the citations in ``docs``: missing quotes, and (with texts) quotes not in their source."""
    issues: list = []
    checked = cited_count = 0
    missing_text: set[tuple[str, str]] = set()
    for doc in docs:
        path, origin = doc.info.path, doc.info.origin
        for where, citations in cited(doc):
            for c in citations:
                cited_count += 1
                source = registry.get(c.source)
                if source is None:
                    continue  # the catalogue build reports it (unknown_source)
                if not c.quote:
                    if source.quotes_required:
                        issues.append(Issue(ERROR, "missing_quote",
                                            f"cites {source.kind} {c.source} without a quote: give the "
                                            f"verbatim words it rests on, {{source: \"{c.source}\", quote: "
                                            "\"...\"}", path, where, "sources", origin))
                    continue
                if texts is None:
                    continue
                text = texts.get(c.source)
                if text is None:
                    if source.quotes_required and (path, c.source) not in missing_text:
                        missing_text.add((path, c.source))
                        issues.append(Issue(ERROR, "source_text_missing",
                                            f"quotes source {c.source}, but the source texts have no "
                                            f"{c.source}_*.txt: the quote cannot be checked", path, where,
                                            "sources", origin))
                    continue
                checked += 1
                if not text.contains(c.quote):
                    issues.append(Issue(ERROR, "quote_not_found",
                                        f"quote not found in source {c.source} ({text.path.name}): "
                                        f"\"{_shorten(c.quote)}\"", path, where, "sources", origin))
    stats["citations"] = cited_count
    if texts is not None:
        stats["quotes_checked"] = checked
    return issues


def _shorten(quote: str) -> str:
    quote = " ".join(quote.split())
    return quote if len(quote) <= QUOTE_SHOWN else quote[:QUOTE_SHOWN - 1] + "\u2026"


def registry_of(docs: Iterable[RulesetDocument]) -> dict[str, Source]:
    """Every source the documents register (the first registration of an id wins)."""
    out: dict[str, Source] = {}
    for doc in docs:
        for source in doc.sources:
            out.setdefault(source.id, source)
    return out


__all__ = ["normalise", "load_source_texts", "citation_issues", "registry_of", "SourceText"]
