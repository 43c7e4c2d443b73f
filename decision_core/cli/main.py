"""The ``decision-core`` command line.

Built-in commands live here; plugins add theirs through ``register_commands``.
"""
from __future__ import annotations

import json
import logging
import sys
from typing import IO

import click

from decision_core.batch import error_object
from decision_core.cli.common import current_core, evaluator_of, read_json

log = logging.getLogger("decision_core.cli.main")

PROGRESS_MIN_LINES = 500


class _PluginGroup(click.Group):
    """Adds plugin commands on demand, so ``--help`` and unknown names stay cheap and safe.
    A plugin cannot take one of the group's own names (plugins.registry.CLI_COMMANDS lists them)."""

    def _plugin_commands(self) -> dict[str, click.Command]:
        from decision_core import startup_log

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
    from decision_core import startup_log

    ctx = click.get_current_context()
    command = ctx.command.get_command(ctx, ctx.invoked_subcommand) if ctx.invoked_subcommand else None
    if not startup_log.releases_itself(command):
        startup_log.release()




@main.command()
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON instead of a summary.")
@click.option("--batch", is_flag=True, help="JSON Lines in (one case a line), one JSON result a line out.")
@click.option("--engine", type=click.Choice(["durable", "plain"]), default=None,
              help="Rule engine (default: durable, or $DECISION_CORE_ENGINE).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: for long files).")
@click.option("--record", "keep", is_flag=True, help="Keep the result in the record (docs/record.md).")
@click.option("--patient", metavar="REF", help="With --record: a pseudonymous patient reference.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --batch: evaluate on this many processes of this machine (output in input order).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="With --batch: evaluate on a Dask cluster (tcp://scheduler:8786), or 'local' for a local "
                   "cluster of --workers processes. Needs the dask extra: pip install '.[dask]'.")
def evaluate(source: IO[str], as_json: bool, batch: bool, engine: str | None, progress: bool | None,
             keep: bool, patient: str | None, workers: int, dask_address: str | None) -> None:
    """Evaluate the facts in SOURCE (a JSON file, or - for standard input)."""
    from decision_core.intake import InvalidFacts
    from decision_core.cli.summary import summarise

    if keep and batch:
        raise click.UsageError("--record keeps one evaluation; it cannot be used with --batch")
    if not batch and (workers != 1 or dask_address):
        raise click.UsageError("--workers and --dask run a batch: add --batch")
    evaluator = evaluator_of(engine)
    if batch:
        _batch(evaluator, source, progress, workers, dask_address, engine)
        return
    facts = read_json(source, source.name)
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
    if keep:
        from decision_core.cli.record import record_cli_result

        record_cli_result(result, patient)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(summarise(result, evaluator.catalogue), nl=False)


def _batch(evaluator, source: IO[str], progress: bool | None, workers: int = 1, dask_address: str | None = None,
           engine: str | None = None) -> None:
    from decision_core.batch import output_lines, parallel_lines

    total = None
    if source is not sys.stdin and getattr(source, "seekable", lambda: False)():
        total = sum(1 for _ in source)
        source.seek(0)
    show = progress if progress is not None else (total is not None and total >= PROGRESS_MIN_LINES)
    out = sys.stdout.buffer
    bar = _progress(show, total)
    if dask_address:
        from decision_core.dask_batch import dask_lines

        pieces = dask_lines(source, dask_address, workers, engine, evaluator)
    elif workers > 1:
        pieces = parallel_lines(evaluator, source, workers)
    else:
        pieces = ((1, output_lines(evaluator, (line,), number)) for number, line in enumerate(source, start=1))
    try:
        for count, text in pieces:
            out.write(text)
            if bar:
                bar.update(count)
    finally:
        if bar:
            bar.render_finish()
    out.flush()


def _progress(show: bool, total: int | None):
    return click.progressbar(length=total or 0, file=sys.stderr, label="evaluating") if show else None


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
    from decision_core.cli.interview import interview, questionnaire

    main.add_command(questionnaire)
    main.add_command(interview)


_interview_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
