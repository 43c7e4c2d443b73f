"""``decision-core record``: report, replay, erase and purge, on the record the environment names
(DECISION_CORE_DATABASE_URL, default: the SQLite file under the user's data folder)."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from decision_core.record.settings import RecordSettings
from decision_core.settings import SettingsError


def _settings() -> RecordSettings:
    try:
        return RecordSettings.from_environment(default_on=True)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _store(url: str | None):
    from decision_core.record.store import RecordStore

    return RecordStore(url or _settings().database_url)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    except ValueError:
        raise click.BadParameter("a date, YYYY-MM-DD", param_hint="--since") from None


def _names(catalogue) -> dict[str, str]:
    names = {c.id: c.name for c in catalogue.causes.values()}
    names.update({r.id: r.name for r in catalogue.recommendations.values()})
    return names


DATABASE = click.option("--database", "url", metavar="URL",
                        help="The record's database (default: $DECISION_CORE_DATABASE_URL, else the SQLite file).")
SINCE = click.option("--since", metavar="DATE", help="Only records made since this date (YYYY-MM-DD).")


@click.group("record")
def record_command() -> None:
    """The record: analytics, replay of a rule change, erasure (docs/record.md)."""


@record_command.command("report")
@SINCE
@DATABASE
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]), default="markdown", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def report(since: str | None, url: str | None, fmt: str, output: Path | None) -> None:
    """Per rule, recommendation, cause and ruleset version: fired, shown, accepted, overridden, the
    override rate with its reasons and interval, and the follow-ups."""
    from decision_core.cli.common import current_core

    from decision_core.record.analytics import analyse
    from decision_core.record.report_render import render

    catalogue = current_core().catalogue
    text = render(analyse(_store(url), _since(since), catalogue), fmt, _names(catalogue))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@record_command.command("replay")
@SINCE
@DATABASE
@click.option("--rulesets", "rulesets", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="A candidate catalogue: exactly these ruleset folders (repeatable); default: the installed one.")
@click.option("--engine", type=click.Choice(["durable", "plain"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON, with every affected record id.")
def replay_cmd(since: str | None, url: str | None, rulesets: tuple[str, ...], engine: str | None, as_json: bool) -> None:
    """Evaluate the recorded facts again with the current (or a candidate) catalogue: which past
    patients would now be told something different."""
    from decision_core.catalogue.loading import load_catalogue
    from decision_core.cli.common import current_core
    from decision_core.evaluation.evaluator import Evaluator

    from decision_core.record.replay import replay, replay_text

    evaluator = (Evaluator(load_catalogue([(d, "candidate") for d in rulesets]), engine) if rulesets
                 else current_core().evaluator(engine))
    result = replay(_store(url), evaluator, _since(since))
    click.echo(json.dumps(result, indent=2) if as_json else replay_text(result), nl=as_json)


@record_command.command("erase")
@click.option("--patient", required=True, metavar="REF", help="The patient reference the records were made with.")
@DATABASE
def erase(patient: str, url: str | None) -> None:
    """Erase a patient's records and everything attached (feedback, follow-ups)."""
    click.echo(f"{_store(url).erase_patient(patient)} records erased")


@record_command.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=1), metavar="DAYS",
              help="Default: $DECISION_CORE_RECORD_RETENTION_DAYS.")
@DATABASE
def purge(days: int | None, url: str | None) -> None:
    """Delete records older than the retention period, with everything attached."""
    days = days or _settings().retention_days
    if not days:
        raise click.UsageError("give --older-than DAYS or set DECISION_CORE_RECORD_RETENTION_DAYS")
    gone = _store(url).purge_before(datetime.now(timezone.utc) - timedelta(days=days))
    click.echo(f"{gone} records older than {days} days purged")


def record_cli_result(result, patient: str | None) -> None:
    """``evaluate --record``: keep one result (unless DECISION_CORE_RECORD=off); a note on stderr."""
    from decision_core.record.entry import build_entry
    from decision_core.record.recorder import Recorder

    settings = _settings()
    if not settings.enabled:
        click.echo("not recorded: DECISION_CORE_RECORD is off", err=True)
        return
    try:
        entry = build_entry(result, "cli", patient_ref=patient)
    except ValueError as exc:
        raise click.ClickException(f"--patient: {exc}") from None
    result.record_id = entry["id"]
    outcome = Recorder(settings).record(entry)
    if outcome == "lost":
        result.record_id = None
    click.echo(f"record {entry['id']} {outcome} ({settings.where})", err=True)
    sys.stderr.flush()
