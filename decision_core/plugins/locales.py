"""The locale folders plugins register (``register_translations``): checked when registered, and
which languages each holds. Reading their catalogues is :mod:`decision_core.i18n.translations`."""
from __future__ import annotations

import re
from pathlib import Path

BUILTIN_LOCALE = Path(__file__).resolve().parent.parent / "locale"  # the core's own (decision_core/locale)
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")  # a catalogue folder's name: es, pt_BR


def catalogue_files(locale_dir: Path) -> dict[str, list[Path]]:
    """The ``.po`` files of a locale folder, by language."""
    out: dict[str, list[Path]] = {}
    if not locale_dir.is_dir():
        return out
    for lang_dir in sorted(p for p in locale_dir.iterdir() if p.is_dir()):
        files = sorted((lang_dir / "LC_MESSAGES").glob("*.po"))
        if files and LANGUAGE.match(lang_dir.name):
            out[lang_dir.name] = files
    return out


def check_locale_dir(path) -> Path:
    """The folder a plugin registers as its translations, validated; ValueError says what is wrong."""
    if not isinstance(path, (str, Path)) and not hasattr(path, "__fspath__"):
        raise ValueError(f"register(path) takes a locale folder path, got {type(path).__name__}")
    p = Path(path)
    if not p.is_absolute():
        raise ValueError(f"locale path '{p}' is relative; register an absolute path, "
                         "e.g. Path(__file__).parent / 'locale'")
    if not p.is_dir():
        raise ValueError(f"locale path {p} is not a folder")
    if not catalogue_files(p):
        raise ValueError(f"no <lang>/LC_MESSAGES/*.po catalogues in {p} (installed without its package data?)")
    return p
