"""The ``decision-core`` command line.

Built-in commands live here; plugins add theirs through ``register_commands``.
"""
from __future__ import annotations

import json
import logging
import sys
from typing import IO, Any, Iterator

import click
import orjson

log = logging.getLogger("decision_core.cli")

PROGRESS_MIN_LINES = 500


def current_core():
    """The installation a command works on: the one the caller passed (``main(obj=core)``, as
    tests do), else the process default. A plugin failure that stops start-up is a usage error."""
    from .app import DecisionCore, default_core
    from .plugin_manager import PluginError

    ctx = click.get_current_context(silent=True)
    given = ctx.find_object(DecisionCore) if ctx is not None else None
    try:
        return given or default_core()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from exc


class _PluginGroup(click.Group):
    """Adds plugin commands on demand, so ``--help`` and unknown names stay cheap and safe.
    A plugin cannot take one of the group's own names (plugin_manager.CLI_COMMANDS lists them)."""

    def _plugin_commands(self) -> dict[str, click.Command]:
        from . import startup_log

        with startup_log.held():  # plugins load here, before any command has set up logging
            core = current_core()
        return {name: cmd for name, (cmd, _plugin) in core.commands.items()}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugin_commands()))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._plugin_commands().get(name)


@click.group(cls=_PluginGroup)
@click.version_option(package_name="hamstring-decision-core")
@click.option("-v", "--verbose", count=True, help="Log more (repeat for debug).")
def main(verbose: int) -> None:
    """Decision support for hamstring tightness: likely causes, triage and a programme."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from . import startup_log

    ctx = click.get_current_context()
    command = ctx.command.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None
    if not startup_log.releases_itself(command):
        startup_log.release()


def _read_json(stream: IO[str], name: str) -> Any:
    try:
        return json.load(stream)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{name}: not UTF-8 text ({exc.reason})")


def _evaluator(engine: str | None):
    try:
        return current_core().evaluator(engine)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def error_object(exc: Exception) -> dict[str, Any]:
    from .intake import InvalidFacts

    if isinstance(exc, InvalidFacts):
        return exc.to_dict()
    if isinstance(exc, json.JSONDecodeError):
        return {"error": "invalid_json", "message": f"not valid JSON: {exc.msg} at column {exc.colno}"}
    log.error("evaluation failed: %s", exc)
    return {"error": "evaluation_failed", "message": "the evaluation failed; nothing was concluded"}


def evaluate_lines(evaluator, lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """One result (or error object) per non-blank input line, in order."""
    from .batch import evaluate_lines as evaluated

    for number, outcome in evaluated(evaluator, lines):
        yield dict(error_object(outcome), line=number) if isinstance(outcome, Exception) else outcome.to_dict()


@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON instead of a summary.")
@click.option("--batch", is_flag=True, help="JSON Lines in (one case a line), one JSON result a line out.")
@click.option("--engine", type=click.Choice(["durable", "plain"]), default=None,
              help="Rule engine (default: durable, or $DECISION_CORE_ENGINE).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: for long files).")
def evaluate(source: IO[str], as_json: bool, batch: bool, engine: str | None, progress: bool | None) -> None:
    """Evaluate the facts in SOURCE (a JSON file, or - for standard input)."""
    from .intake import InvalidFacts
    from .summary import summarise

    evaluator = _evaluator(engine)
    if batch:
        _batch(evaluator, source, progress)
        return
    facts = _read_json(source, source.name)
    try:
        result = evaluator.evaluate(facts)
    except InvalidFacts as exc:
        if as_json:
            click.echo(json.dumps(exc.to_dict(), indent=2))
        else:
            click.echo("Invalid facts:", err=True)
            for fieldname, msgs in sorted(exc.errors.items()):
                click.echo(f"  {fieldname}: {' '.join(msgs)}", err=True)
        sys.exit(2)
    except Exception as exc:  # an engine failure: say so plainly, never a traceback
        click.echo(json.dumps(error_object(exc)) if as_json else f"Error: {error_object(exc)['message']}", err=not as_json)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(summarise(result), nl=False)


def _batch(evaluator, source: IO[str], progress: bool | None) -> None:
    total = None
    if source is not sys.stdin and getattr(source, "seekable", lambda: False)():
        total = sum(1 for _ in source)
        source.seek(0)
    show = progress if progress is not None else (total is not None and total >= PROGRESS_MIN_LINES)
    out = sys.stdout.buffer
    lines = _ticking(source, bar) if (bar := _progress(show, total)) else source
    try:
        for line_result in evaluate_lines(evaluator, lines):
            out.write(orjson.dumps(line_result) + b"\n")
    finally:
        if bar:
            bar.render_finish()
    out.flush()


def _progress(show: bool, total: int | None):
    return click.progressbar(length=total or 0, file=sys.stderr, label="evaluating") if show else None


def _ticking(lines, bar):
    for line in lines:
        bar.update(1)
        yield line


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
def causes(as_json: bool) -> None:
    """List the catalogue: every cause with its sources and ruleset."""
    cat = current_core().catalogue
    rows = [{"id": c.id, "name": c.name, "sources": list(c.sources), "ruleset": c.ruleset,
             "rules": sum(1 for r in cat.rules if r.then.kind == "cause" and r.then.target == c.id),
             "why": c.why} for c in cat.causes.values()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['name']}  (rules: {r['rules']}, sources: {', '.join(r['sources'])})")



@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
def sources(as_json: bool) -> None:
    """List the source registry: every source a rule or item may cite, and who registered it."""
    registry = current_core().catalogue.sources
    rows = [s.to_dict() for s in registry.values()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max((len(r["id"]) for r in rows), default=0)
    pad = " " * (width + 2)
    for r in rows:
        click.echo(f"{r['id']:<{width}}  {r['title']}\n{pad}{r['publisher']}\n{pad}{r['kind']}, registered by "
                   f"ruleset {r['ruleset']} (plugin {r['plugin']})\n{pad}{r['description']}")


def _interview_commands() -> None:
    from .interview_cli import interview, questionnaire

    main.add_command(questionnaire)
    main.add_command(interview)


_interview_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
