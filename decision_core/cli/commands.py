"""The ``plugins`` and ``lint`` commands, registered by the built-in plugin
through ``register_commands`` like any plugin's command."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

# Show ids when a plugin registered this many of a kind or fewer, else a count.
LIST_IDS_UP_TO = 4


def _summary(registered: dict[str, list[str]]) -> str:
    parts = []
    for kind, ids in registered.items():
        if len(ids) <= LIST_IDS_UP_TO:
            parts.append(f"{kind}: {', '.join(ids)}")
        else:
            parts.append(f"{len(ids)} {kind}")
    return "; ".join(parts) or "-"


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
@click.option("--check", is_flag=True, help="Exit with status 1 when a plugin failed.")
def plugins_command(as_json: bool, check: bool) -> None:
    """List the plugins: name, version, status, hooks and what each registered.

    Built-ins first, then installed plugins (entry-point group decision_core).
    DECISION_CORE_PLUGINS limits which installed plugins load; the others are
    shown as disabled. A failed plugin is shown with its error.
    """
    from decision_core.cli.common import current_core

    infos = current_core().plugins
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in infos], indent=2, ensure_ascii=False))
    else:
        rows = [(i.name, i.version or "-", i.status, ", ".join(h.removeprefix("register_") for h in i.hooks) or "-",
                 _summary(i.registered)) for i in infos]
        header = ("NAME", "VERSION", "STATUS", "HOOKS", "REGISTERED")
        widths = [max(len(r[k]) for r in rows + [header]) for k in range(4)]
        for row in [header] + rows:
            click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4])
        click.echo(f"\nengine: {_engine_line()}")
        for i in infos:
            if i.error:
                click.echo(f"\n{i.name} failed:\n  " + i.error.replace("\n", "\n  "))
            for w in i.warnings if i.status != "disabled" else ():
                click.echo(f"\n{i.name}: warning: {w}")
    if check and any(i.status == "failed" for i in infos):
        sys.exit(1)


def _engine_line() -> str:
    """The engine evaluations use here, and why when it is not the default."""
    from decision_core.engine.engines import DEFAULT_ENGINE, ENGINE_ENV, durable_unavailable, engine_name

    chosen = engine_name()
    if chosen == DEFAULT_ENGINE:
        return chosen
    why = durable_unavailable()
    return f"{chosen} ({'durable-rules cannot run here' if why else 'set by ' + ENGINE_ENV})"


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
@click.option("--standalone/--with-installed", default=None,
              help="Check PATHS alone, or together with the installed catalogue (default: alone only when "
                   "they define triage levels).")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--sources", "sources_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Check every quote against the source texts in this folder (files NNN_*.txt).")
@click.option("--record", "record_url", metavar="URL",
              help="Warn about rules overridden in >= 30 % of >= 20 responses in this record (a database URL).")
def lint_command(paths: tuple[Path, ...], as_json: bool, standalone: bool | None, strict: bool,
                 sources_dir: Path | None, record_url: str | None) -> None:
    """Check rulesets: every file and rule, then the catalogue as a whole.

    PATHS are ruleset files or folders; without them, the installed catalogue
    (built-ins and installed plugins) is checked. Reports invalid files, unknown
    facts, unreachable rules, causes without recommendations, rules without
    sources, articles cited without a quote, conflicting doses and
    durable-rules limits. With --sources DIR, every quote is looked up in its
    source's text (DIR/NNN_*.txt), ignoring whitespace, case and typographic
    quotes and dashes. Exit status 1 when there are errors.
    """
    from decision_core.lint.linter import lint_installed, lint_paths

    try:
        report = (lint_paths(paths, standalone=standalone, sources_dir=sources_dir) if paths
                  else lint_installed(sources_dir=sources_dir))
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if record_url:
        from decision_core.record.lint_record import record_issues

        try:
            from decision_core.cli.common import current_core

            report.issues.extend(record_issues(record_url, current_core().catalogue))
        except Exception as exc:  # a database that cannot be read: say which, without its password
            from decision_core.record.settings import safe_url

            raise click.ClickException(f"--record {safe_url(record_url)}: cannot read the record "
                                       f"({type(exc).__name__})") from None
    if as_json:
        out = report.to_dict()
        out["ok"] = report.ok(strict)
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        click.echo(report.text(), nl=False)
    if not report.ok(strict):
        sys.exit(1)
