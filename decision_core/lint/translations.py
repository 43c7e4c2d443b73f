"""The translation check of ``decision-core lint``: patient texts without a translation.

For every language a catalogue covers, each ruleset text (a field the ruleset
schemas declare as text) must have a translation in the merged catalogues (the
core's and the plugins'). One ``untranslated`` warning per language and origin
gives the count and the first few texts. The languages checked: for the
installed catalogue, every language installed; for files linted by path, the
languages of the ``locale`` folders next to them (a plugin that ships Spanish
must translate all of its texts).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

import yaml

from decision_core.catalogue.loading import RulesetDocument
from decision_core.i18n.translations import BUILTIN_LOCALE, SOURCE_LANGUAGE, languages_in, load_translator
from decision_core.i18n.extract import ruleset_messages
from decision_core.i18n.result_texts import PYTHON_MESSAGES, is_text

log = logging.getLogger(__name__)

WARNING = "warning"
SHOWN = 3  # untranslated texts quoted in a warning
SHOWN_CHARS = 60


def document_texts(doc: RulesetDocument) -> list[str]:
    """The translatable texts of one ruleset document, in file order, each once."""
    path = Path(doc.info.path)
    texts: list[str] = []
    if path.suffix in (".yaml", ".yml"):
        try:
            texts = [m for _, m, _ in ruleset_messages(path.read_text(encoding="utf-8"))]
        except (OSError, yaml.YAMLError) as exc:
            log.debug("cannot read %s for its texts: %s", path, exc)
    else:  # facts given to register_facts: no file, the fact objects hold the texts
        from decision_core.catalogue.schema import FactSchema

        names = [n for n, f in FactSchema._declared_fields.items() if is_text(f)]
        for fact in doc.facts:
            texts.extend(v.strip() for v in (getattr(fact, n, None) for n in names) if isinstance(v, str) and v.strip())
    return list(dict.fromkeys(texts))


def _builtin_python_texts() -> list[str]:
    """The core's Python and template messages, from its kept-in-step template."""
    from babel.messages.pofile import read_po

    pot = BUILTIN_LOCALE / "decision_core.pot"
    if not pot.exists():
        return list(PYTHON_MESSAGES)
    with open(pot, "rb") as f:
        # a message with a context is keyed as gettext keys it: "context\x04msgid"
        return [f"{m.context}\x04{m.id}" if m.context else m.id for m in read_po(f) if m.id and isinstance(m.id, str)]


def coverage(docs: Iterable[RulesetDocument], locale_dirs: list[Path], langs: Iterable[str] | None = None,
             builtin_origin: str | None = None) -> dict[str, dict[str, dict]]:
    """{lang: {origin: {"total": n, "missing": [texts]}}} for the documents' texts."""
    by_origin: dict[str, list[str]] = {}
    for doc in docs:
        by_origin.setdefault(doc.info.origin, []).extend(document_texts(doc))
    if builtin_origin in by_origin:
        by_origin[builtin_origin].extend(_builtin_python_texts())
    langs = [lang for lang in (langs if langs is not None else languages_in(locale_dirs)) if lang != SOURCE_LANGUAGE]
    out: dict[str, dict[str, dict]] = {}
    for lang in langs:
        translator = load_translator(lang, locale_dirs)
        out[lang] = {}
        for origin, texts in by_origin.items():
            texts = list(dict.fromkeys(texts))
            out[lang][origin] = {"total": len(texts),
                                 "missing": [t.replace("\x04", ": ") for t in texts if not translator.has(t)]}
    return out


def translation_issues(docs: list[RulesetDocument], locale_dirs: list[Path], langs: Iterable[str] | None,
                       stats: dict, issue, builtin_origin: str | None = None) -> list:
    """``issue(severity, code, message, plugin=...)`` for each language and origin with untranslated texts."""
    found = coverage(docs, locale_dirs, langs, builtin_origin)
    out = []
    for lang, origins in found.items():
        for origin, c in origins.items():
            missing = c["missing"]
            stats.setdefault("untranslated", {}).setdefault(lang, 0)
            stats["untranslated"][lang] += len(missing)
            if not missing:
                continue
            shown = "; ".join(repr(t if len(t) <= SHOWN_CHARS else t[:SHOWN_CHARS - 1] + "…") for t in missing[:SHOWN])
            more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
            out.append(issue(WARNING, "untranslated",
                             f"{len(missing)} of {c['total']} patient texts have no '{lang}' translation: {shown}{more} "
                             "(decision-core translations extract, then translate the .po file)", plugin=origin))
    return out


def locale_dirs_near(paths: Iterable[Path]) -> list[Path]:
    """The ``locale`` folders that belong to linted files or folders: inside a linted folder, next to it
    (a plugin package's ``locale`` beside its ``rulesets``), or the core's for its own rulesets."""
    from decision_core.catalogue.loading import builtin_rulesets_dir

    builtin = builtin_rulesets_dir().resolve()
    found: list[Path] = []
    for raw in paths:
        p = Path(raw).resolve()
        folder = p if p.is_dir() else p.parent
        candidates = [folder / "locale", folder.parent / "locale"]
        if folder == builtin or builtin in folder.parents:
            candidates.append(BUILTIN_LOCALE)
        found.extend(c for c in candidates if c.is_dir() and c not in found)
    return found


__all__ = ["coverage", "translation_issues", "locale_dirs_near", "document_texts"]
