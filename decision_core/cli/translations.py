"""``decision-core translations``: extract the messages to translate, keep catalogues in step, show coverage.

Registered by the built-in plugin. See docs/translations.md.
"""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("translations")
def translations_command() -> None:
    """Translation catalogues (gettext .po files) of the patient-facing texts."""


@translations_command.command("extract")
@click.option("--rulesets", "rulesets", type=click.Path(exists=True, path_type=Path), multiple=True,
              help="A plugin's ruleset file or folder (repeatable). Default: the core's rulesets, templates and code.")
@click.option("--locale", "locale_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The locale folder to write DOMAIN.pot to and update (default: the core's, or with "
                   "--rulesets the 'locale' folder next to the first one).")
@click.option("--domain", default=None, help="The domain (file name) of a plugin's catalogue; default: the "
                                             "folder name of the plugin package.")
@click.option("--lang", "langs", multiple=True, help="Also start a catalogue for this language (repeatable).")
@click.option("--no-update", is_flag=True, help="Write only the .pot template; leave the .po files alone.")
def extract_command(rulesets: tuple[Path, ...], locale_dir: Path | None, domain: str | None,
                    langs: tuple[str, ...], no_update: bool) -> None:
    """Regenerate the .pot template(s) and bring every language's .po file in step with them:
    new texts are added untranslated, texts gone from the rulesets become obsolete (#~)."""
    from decision_core.catalogue.loading import ruleset_files
    from decision_core.i18n.translations import BUILTIN_LOCALE, normal_language
    from decision_core.i18n.extract import builtin_templates, rulesets_pot, update_catalogues, write_catalog

    langs = tuple(normal_language(lang) for lang in langs)
    written: list[Path] = []
    if not rulesets:
        locale_dir = locale_dir or BUILTIN_LOCALE
        templates = builtin_templates()
    else:
        first = rulesets[0].resolve()
        package = first if first.is_dir() and first.name != "rulesets" else first.parent
        if package.name == "rulesets":
            package = package.parent
        locale_dir = locale_dir or package / "locale"
        files = [f for p in rulesets for f in (ruleset_files(p) if p.is_dir() else [p])]
        pot = rulesets_pot([f.resolve() for f in files], root=package)
        pot.domain = domain or package.name
        templates = {pot.domain: pot}
    for name, pot in templates.items():
        path = locale_dir / f"{name}.pot"
        if write_catalog(pot, path):
            written.append(path)
        if not no_update:
            written.extend(update_catalogues(pot, locale_dir, langs))
    for path in written:
        click.echo(f"wrote {path}")
    if not written:
        click.echo(f"{locale_dir}: up to date")


@translations_command.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_command(as_json: bool) -> None:
    """How many of the installed catalogue's patient texts each language translates."""
    from decision_core.lint.linter import installed_coverage

    coverage = installed_coverage()
    if as_json:
        click.echo(json.dumps(coverage, indent=2))
        return
    for lang, c in coverage.items():
        click.echo(f"{lang}: {c['translated']}/{c['total']} translated, {len(c['missing'])} missing")
