"""``decision-core questionnaire`` and ``decision-core interview`` (a question at a time, in a terminal or piped).

The interview reads one answer a line: Enter skips, ``back`` goes back to the
previous question, ``quit`` ends early, each also in the words the reader's catalogue gives
(``zurück``, ``ende``). Yes/no questions take y/n (j/n in German, s/n in Spanish: the catalogue's
words), choices their number or value, several choices numbers or values
separated by commas, lists words separated by commas. It ends with the summary
and offers the handout (``--report FILE.pdf``).
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable

import click

from decision_core.cli.common import current_core
from decision_core.i18n.result_texts import N_

log = logging.getLogger("decision_core.cli.main")

# What a person may type, in English and in the reader's language: each catalogue lists its own words
# (space-separated), so a new language needs no change here. Numbers and true/false work in every language.
# Translators: the words (lower case, separated by spaces) a person may type for "yes" in the terminal interview.
YES_WORDS = N_("y yes")
# Translators: the words (lower case, separated by spaces) a person may type for "no" in the terminal interview.
NO_WORDS = N_("n no")
# Translators: the words (lower case, separated by spaces) that stop the terminal interview early.
QUIT_WORDS = N_("quit q")
# Translators: the words (lower case, separated by spaces) that go back to the previous question.
BACK_WORDS = N_("back b")
# Translators: the words (lower case, separated by spaces) for "None of these" on the warning-signs screen.
NONE_WORDS = N_("none n no")
PROMPT_HINT = N_("Enter skips, 'back' goes back, 'quit' stops.")
ANSWER_YES_NO = N_("Answer y (yes) or n (no).")
YES_NO = N_("y / n")


def _setup(lang: str | None, engine: str | None):
    from decision_core.i18n.translations import UnknownLanguage, get_translator
    from decision_core.plugins.registry import PluginError

    try:
        core = current_core()
        return core.evaluator(engine), get_translator(lang, core)
    except (PluginError, UnknownLanguage, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("questionnaire")
@click.option("--lang", default=None, help="Language of the question texts (default: English).")
def questionnaire(lang: str | None) -> None:
    """Print the intake as a FHIR R4 Questionnaire (JSON)."""
    from decision_core.interview.questionnaire import build_questionnaire

    evaluator, translator = _setup(lang, None)
    click.echo(json.dumps(build_questionnaire(evaluator.catalogue, translator), indent=2, ensure_ascii=False))


def answer_words(words: str, gettext: Callable[[str], str] = str) -> set[str]:
    """The typed words ``words`` (an N_ message above) stands for: the English and the reader's language's."""
    return set(words.split()) | set(gettext(words).lower().split())


def parse_answer(fact, text: str, gettext: Callable[[str], str] = str) -> Any:
    """An answer typed for a fact: its value, or ValueError saying what is expected."""
    text = text.strip()
    if fact.type == "bool":
        if text.lower() in answer_words(YES_WORDS, gettext) | {"true", "1"}:
            return True
        if text.lower() in answer_words(NO_WORDS, gettext) | {"false", "0"}:
            return False
        raise ValueError(ANSWER_YES_NO)
    if fact.type in ("int", "number"):
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise ValueError(N_("Answer with a number.")) from None
        return int(value) if fact.type == "int" and value.is_integer() else value
    if fact.type in ("choice", "choices"):
        picked = []
        for part in (text.split(",") if fact.type == "choices" else [text]):
            part = part.strip()
            if part.isdigit() and 1 <= int(part) <= len(fact.values):
                picked.append(fact.values[int(part) - 1])
            elif part in fact.values:
                picked.append(part)
            elif part:
                raise ValueError(N_("Answer with the number of an option."))
        return picked if fact.type == "choices" else picked[0]
    return [w.strip() for w in text.split(",") if w.strip()]


SCREEN_CONFLICT = N_("'None of these' cannot go with another answer: choose one or the other.")


def parse_screen(listed: tuple[str, ...], text: str, gettext: Callable[[str], str] = str) -> list[str]:
    """The options ticked on the red-flag screen: numbers separated by commas ("None of these" is the last
    number, or 'none'/'n'); ValueError saying what is expected."""
    from decision_core.interview.screen import NONE_CODE

    codes = []
    for part in (p.strip() for p in text.split(",")):
        if part.isdigit() and 1 <= int(part) <= len(listed):
            codes.append(listed[int(part) - 1])
        elif (part.isdigit() and int(part) == len(listed) + 1) or part.lower() in answer_words(NONE_WORDS, gettext):
            codes.append(NONE_CODE)
        elif part:
            raise ValueError(N_("Answer with the number of an option."))
    if NONE_CODE in codes and len(set(codes)) > 1:
        raise ValueError(SCREEN_CONFLICT)
    return codes


def _words(text: str) -> str:
    return " ".join(text.split())


def _show_screen(catalogue, listed: tuple[str, ...], gettext, number: int) -> None:
    from decision_core.interview.screen import NONE_TEXT, SCREEN_HELP, SCREEN_TEXT

    click.echo("")
    click.echo(f"{number}. {gettext(SCREEN_TEXT)}")
    click.echo("   " + gettext(SCREEN_HELP))
    for i, name in enumerate(listed, start=1):
        click.echo(f"   {i}) {gettext(catalogue.facts[name].label)}")
    click.echo(f"   {len(listed) + 1}) {gettext(NONE_TEXT)}")
    click.echo("   " + gettext(N_("Several: numbers separated by commas.")))


def _show(question, fact, gettext, number: int) -> None:
    click.echo("")
    question, help_text = _words(fact.question), _words(fact.help or "")
    click.echo(f"{number}. {gettext(question)}")
    if help_text:
        click.echo("   " + gettext(help_text))
    if fact.type == "bool":
        click.echo("   " + gettext(YES_NO))
    for i, value in enumerate(fact.values, start=1):
        click.echo(f"   {i}) {gettext(fact.value_label(value))}")
    if fact.type == "choices":
        click.echo("   " + gettext(N_("Several: numbers separated by commas.")))
    if fact.unit:
        click.echo(f"   ({gettext(fact.unit)})")


@click.command("interview")
@click.option("--lang", default=None, help="Language of the questions and the summary (default: English).")
@click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the handout here at the end (the format from the extension: .pdf, .html, .md, .txt).")
@click.option("--json", "as_json", is_flag=True, help="End with the result as JSON instead of the summary.")
@click.option("--engine", type=click.Choice(["durable", "plain"]), default=None, help="Rule engine.")
def interview(lang: str | None, report: Path | None, as_json: bool, engine: str | None) -> None:
    """Ask the intake questions one at a time until the answer is clear (see docs/interview.md)."""
    from decision_core.interview.flow import STOP_LEVEL, Interview
    from decision_core.interview.questionnaire import item_count

    evaluator, translator = _setup(lang, engine)
    gettext = translator.gettext
    catalogue = evaluator.catalogue
    iv = Interview(evaluator)
    facts: dict[str, Any] = {}
    history: list[str] = []  # the questions asked, in order (answered or skipped)
    skipped: list[str] = []
    click.echo(gettext(PROMPT_HINT))
    while True:
        step = iv.next_step(facts, skipped)
        if step.done:
            break
        name = step.question.fact
        fact = catalogue.facts.get(name)
        if step.screen:
            _show_screen(catalogue, step.screen, gettext, len(history) + 1)
        else:
            _show(step.question, fact, gettext, len(history) + 1)
        line = sys.stdin.readline()
        if not line:  # end of input: stop here with what is known
            click.echo("")
            break
        text = line.strip()
        if text.lower() in answer_words(QUIT_WORDS, gettext):
            break
        if text.lower() in answer_words(BACK_WORDS, gettext):
            if history:
                last = history.pop()
                for closed in (last,) if last in catalogue.facts else iv.screen:  # the screen: all it closed
                    facts.pop(closed, None)
                    if closed in skipped:
                        skipped.remove(closed)
            continue
        history.append(name)
        if step.screen:
            try:
                facts, skipped = iv.answer_screen(parse_screen(step.screen, text, gettext), facts, skipped)
            except ValueError as exc:
                history.pop()
                click.echo("   " + gettext(str(exc)))
            continue
        if not text:
            skipped.append(name)
            continue
        try:
            facts = evaluator.validate({**facts, name: parse_answer(fact, text, gettext)})
        except ValueError as exc:  # a typo, or a value the intake refuses: ask again
            history.pop()
            message = exc.errors.get(name, [str(exc)]) if hasattr(exc, "errors") else [str(exc)]
            click.echo("   " + " ".join(gettext(m) for m in message))
    _finish(evaluator.evaluate_valid(facts), step if step.done else None, translator, report, as_json, lang,
            STOP_LEVEL, len(history), item_count(catalogue), catalogue)


def _finish(result, step, translator, report: Path | None, as_json: bool, lang: str | None, stop_level: str,
            asked: int, total: int, catalogue=None) -> None:
    from decision_core.i18n.translations import translate_result
    from decision_core.cli.summary import summarise
    from decision_core.i18n.result_words import ResultWords

    gettext = translator.gettext
    click.echo("")
    if step is not None and step.reason == stop_level:
        click.echo(gettext(N_("Stop here: {advice}")).format(advice=gettext(result.triage.advice)))
    click.echo(gettext(N_("{asked} of {total} questions asked.")).format(asked=asked, total=total))
    click.echo(ResultWords(result, catalogue, gettext).triage_status)  # not yet known while red flags are open
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(summarise(translate_result(result, translator), catalogue, gettext), nl=False)
    if report is None:
        if sys.stdin.isatty():
            click.echo(gettext(N_("For the handout, run again with --report handout.pdf.")))
        return
    fmt = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "markdown", ".json": "fhir"}.get(
        report.suffix.lower(), "text")
    data = _render(result, fmt, **({"lang": lang} if lang and fmt in ("pdf", "html") else {}))
    report.write_bytes(data)
    click.echo(gettext(N_("Handout written to {path}")).format(path=str(report)))


def _render(result, name: str, **options) -> bytes:
    """The handout in the output format ``name``, found among the installation's registered formats
    (the reports plugin's, or another plugin's): the command line names no adapter."""
    core = current_core()
    fmt = core.formats.get(name)
    if fmt is None:
        raise click.ClickException(f"unknown report format {name!r}; available formats: "
                                   f"{', '.join(sorted(core.formats)) or 'none'}")
    try:
        out = fmt.render(result, core=core, **options)
    except ValueError as exc:  # a bad option or a result the format cannot show
        raise click.ClickException(f"format {name}: {exc}") from exc
    if isinstance(out, str):
        return out.encode("utf-8")
    if not isinstance(out, (bytes, bytearray)):
        raise click.ClickException(f"format {name} (plugin {fmt.plugin}) returned {type(out).__name__}, "
                                   "not text or bytes")
    return bytes(out)
