"""Translations: gettext catalogues (Babel ``.po`` files) for the patient-facing text.

English is the source language: every msgid is the English text as the
rulesets, the templates or the Python code have it (a ruleset's text after YAML
folding, without its leading and trailing whitespace). Other languages live in
``<locale dir>/<lang>/LC_MESSAGES/<domain>.po``; the core's own are in
``decision_core/locale`` (domains ``rulesets`` and ``decision_core``), and a
plugin registers its locale folder through the ``register_translations`` hook.
The ``.po`` files are read at run time (no compile step), once per language,
and merged: the built-ins first, then the plugins in load order; the first
translation of a msgid wins.

:func:`get_translator` gives the shared, cached translator of a language;
:func:`translate_result` a translated copy of a typed result.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from gettext import c2py
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from decision_core.plugins.locales import BUILTIN_LOCALE, LANGUAGE as _LANG, catalogue_files, check_locale_dir

if TYPE_CHECKING:
    from decision_core.installation import DecisionCore
    from decision_core.plugins.registry import Registry

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
DOMAINS = ("rulesets", "decision_core")  # the core's: ruleset texts; templates and Python strings
_CONTEXT_SEP = "\x04"  # as GNU gettext keys a msgid with a context


class UnknownLanguage(ValueError):
    """A language no catalogue is available for."""

    def __init__(self, lang: object, available: Iterable[str]):
        self.lang = lang
        self.available = sorted(available)
        super().__init__(f"unknown language {lang!r}; available: {', '.join(self.available)}")


def normal_language(lang: str) -> str:
    """``es-ES`` -> ``es_ES``, ``ES`` -> ``es``: the form of the catalogue folders."""
    parts = lang.replace("-", "_").split("_")
    return "_".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])


@dataclass(frozen=True)
class _Plural:
    forms: tuple[str, ...]
    choose: Callable[[int], int]


def read_catalogue(path: Path, lang: str) -> dict[str, str | _Plural]:
    """The translated messages of one ``.po`` file (fuzzy and empty translations left out)."""
    from babel.messages.pofile import read_po  # Babel is imported only when a catalogue is read

    with open(path, "rb") as f:
        catalog = read_po(f, locale=None, domain=path.stem)
    try:
        choose = c2py(catalog.plural_expr or "(n != 1)")
    except ValueError:
        choose = c2py("(n != 1)")
    out: dict[str, str | _Plural] = {}
    for msg in catalog:
        if not msg.id or msg.fuzzy:
            continue
        key_id = msg.id[0] if isinstance(msg.id, tuple) else msg.id
        key = f"{msg.context}{_CONTEXT_SEP}{key_id}" if msg.context else key_id
        if isinstance(msg.id, tuple):
            forms = list(msg.string) if isinstance(msg.string, (tuple, list)) else [msg.string]
            if any(forms):  # a form left empty (Spanish's third, for millions) says what the one before says
                first = next(f for f in forms if f)
                for i, form in enumerate(forms):
                    forms[i] = form or (forms[i - 1] if i else first)
                out[key] = _Plural(tuple(forms), choose)
        elif msg.string:
            out[key] = msg.string
    log.debug("read %d translations (%s) from %s", len(out), lang, path)
    return out


class Translator:
    """The translations of one language, merged from every catalogue. Read-only once built:
    one instance is shared by every thread."""

    def __init__(self, lang: str, messages: dict[str, str | _Plural] | None = None):
        self.lang = lang
        self._messages = messages or {}

    def __repr__(self) -> str:
        return f"<Translator {self.lang}: {len(self._messages)} messages>"

    def translation(self, text: str) -> str | None:
        """The translation of ``text``, or None when the catalogues have none."""
        core = text.strip()
        found = self._messages.get(core)
        if found is None or not isinstance(found, str):
            return None
        if core == text:
            return found
        lead = len(text) - len(text.lstrip())
        return text[:lead] + found + text[lead + len(core):]

    def gettext(self, text: str) -> str:
        """``text`` in this language; text without a translation stays as it is."""
        if not text or self.lang == SOURCE_LANGUAGE:
            return text
        found = self.translation(text)
        return text if found is None else found

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._messages.get(singular.strip())
        if isinstance(found, _Plural):
            index = found.choose(n)
            return found.forms[min(index, len(found.forms) - 1)]
        return singular if n == 1 else plural

    def pgettext(self, context: str, text: str) -> str:
        found = self._messages.get(f"{context}{_CONTEXT_SEP}{text.strip()}")
        return found if isinstance(found, str) else text

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        found = self._messages.get(f"{context}{_CONTEXT_SEP}{singular.strip()}")
        if isinstance(found, _Plural):
            return found.forms[min(found.choose(n), len(found.forms) - 1)]
        return singular if n == 1 else plural

    def has(self, text: str) -> bool:
        """Whether ``text`` is translated (always, in the source language)."""
        return self.lang == SOURCE_LANGUAGE or self.translation(text) is not None


def load_translator(lang: str, locale_dirs: Iterable[Path]) -> Translator:
    """A translator for ``lang`` merged from ``locale_dirs`` (earlier folders win); ``es_MX``
    falls back to ``es`` message by message. Not cached: see :func:`get_translator`."""
    lang = normal_language(lang)
    if lang == SOURCE_LANGUAGE:
        return Translator(SOURCE_LANGUAGE)
    wanted = [lang] + ([lang.split("_")[0]] if "_" in lang else [])
    messages: dict[str, str | _Plural] = {}
    for candidate in wanted:  # the exact language first, then its base language
        for folder in locale_dirs:
            for path in catalogue_files(Path(folder)).get(candidate, ()):
                for key, value in read_catalogue(path, candidate).items():
                    if key in messages and messages[key] != value:
                        log.debug("%s: %r is translated earlier; keeping the first translation", path, key[:60])
                    messages.setdefault(key, value)
    return Translator(lang, messages)


def languages_in(locale_dirs: Iterable[Path]) -> list[str]:
    """English and every language some catalogue in ``locale_dirs`` has."""
    found = {SOURCE_LANGUAGE}
    for folder in locale_dirs:
        found.update(catalogue_files(Path(folder)))
    return sorted(found)


# ------------------------------------------------------------ the installed catalogues, cached

_lock = threading.Lock()


def _registry(core: "DecisionCore | None") -> "Registry":
    from decision_core.installation import core_or_default

    return core_or_default(core).registry


def installed_locale_dirs(core: "DecisionCore | None" = None) -> list[Path]:
    """The locale folders of the built-ins and the loaded plugins of ``core`` (default: the
    process default), in load order."""
    return [path for _plugin, path in _registry(core).translations]


def available_languages(core: "DecisionCore | None" = None) -> list[str]:
    """The languages a result can be translated into (``en`` always) with ``core``'s catalogues."""
    return languages_in(installed_locale_dirs(core))


def get_translator(lang: str | None, core: "DecisionCore | None" = None) -> Translator:
    """The shared translator of ``lang`` (None: English) with the catalogues of ``core`` (default:
    the process default), built once per language and registry. Raises :class:`UnknownLanguage`
    when no catalogue has the language."""
    if lang is None or (isinstance(lang, str) and normal_language(lang) == SOURCE_LANGUAGE):
        return _ENGLISH
    registry = _registry(core)
    dirs = [path for _plugin, path in registry.translations]  # the registry's, even if the default changes
    if not isinstance(lang, str) or not _LANG.match(lang):
        raise UnknownLanguage(lang, languages_in(dirs))
    key = normal_language(lang)
    with _lock:  # translators live on their registry: an app's installation and the default keep theirs
        cache = registry.translators
        found = cache.get(key)
        if found is None:
            available = languages_in(dirs)
            if key not in available and key.split("_")[0] not in available:
                raise UnknownLanguage(lang, available)
            found = cache[key] = load_translator(key, dirs)
    return found


_ENGLISH = Translator(SOURCE_LANGUAGE)


def language_name(lang: str, core: "DecisionCore | None" = None) -> str:
    """A language's name in itself, as a language menu shows it ("Deutsch", "Español"): its own
    catalogue's word for it, else Babel's (CLDR), else the code. A new language names itself in its
    catalogue; no code lists the names."""
    tr = get_translator(lang, core)
    # Translators: the name of this catalogue's language in that language, as a language menu shows it
    # ("Deutsch", "Español"); not the word for "English".
    name = tr.pgettext("language name", "English")
    if tr.lang == SOURCE_LANGUAGE or name != "English":
        return name
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(tr.lang).get_display_name(tr.lang) or lang
    except (ValueError, UnknownLocaleError):
        return lang


def babel_locale(lang: str | None) -> str:
    """The Babel (CLDR) locale for a language's dates and word lists: the language, else its base
    language, else English, so a catalogue for a code CLDR does not know still renders."""
    from babel import Locale, UnknownLocaleError

    code = normal_language(lang or SOURCE_LANGUAGE)
    for candidate in (code, code.split("_")[0]):
        try:
            Locale.parse(candidate)
            return candidate
        except (ValueError, UnknownLocaleError):
            continue
    return SOURCE_LANGUAGE


def translate_result(result, translator: Translator, catalogue=None):
    """A translated copy of a typed :class:`~decision_core.result.model.Result`, for a person (see
    :mod:`decision_core.i18n.result_texts`); ``catalogue`` names the causes and levels it mentions."""
    from decision_core.i18n.result_texts import translate_result as _translate

    return _translate(result, translator, catalogue)


__all__ = ["Translator", "UnknownLanguage", "get_translator", "available_languages", "translate_result",
           "load_translator", "languages_in", "check_locale_dir", "language_name", "babel_locale", "BUILTIN_LOCALE",
           "SOURCE_LANGUAGE"]
