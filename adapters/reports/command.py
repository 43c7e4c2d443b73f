"""``decision-core report``: evaluate facts and write a report in any registered format."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import IO, Any

import click

from decision_core.batch import error_object
from decision_core.cli.common import current_core, evaluator_of as _evaluator, read_json as _read_json

log = logging.getLogger(__name__)


class ReportFailed(click.ClickException):
    """Bad input or an output that cannot be written: exit code 2, nothing written."""

    exit_code = 2


def _facts_problem(exc: Exception) -> str:
    from decision_core.intake import InvalidFacts

    if isinstance(exc, InvalidFacts):
        return "invalid facts: " + "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in sorted(exc.errors.items()))
    return error_object(exc)["message"]


def _options(core, paper: str | None, title: str | None, patient_reference: str | None,
             **people: Any) -> dict[str, Any]:
    options = {"paper": paper, "title": title, "patient_reference": patient_reference, **_people(core, **people)}
    return {k: v for k, v in options.items() if v is not None}


def _people(core, clinic_profile: Path | None, patient_name: str | None, patient_birth_date, patient_id: str | None,
            clinician: str | None, dose: tuple[str, ...], lang: str | None) -> dict[str, Any]:
    """The clinic profile, the patient, the clinician, dose overrides and the language, checked."""
    from decision_core.catalogue.dose import DoseError, parse_spec

    from .clinic import ClinicProfileError, Patient, load_clinic_profile, profile_from_environment

    try:
        clinic = load_clinic_profile(clinic_profile, core) if clinic_profile else profile_from_environment(core)
    except ClinicProfileError as exc:
        raise ReportFailed(str(exc)) from None
    doses = {}
    for spec in dose:
        item, sep, text = spec.partition("=")
        if not sep or not item.strip():
            raise ReportFailed(f"--dose {spec!r}: write it as ID=DOSE, e.g. glute_bridge=3x12@daily")
        try:
            doses[item.strip()] = parse_spec(text)
        except DoseError as exc:
            raise ReportFailed(f"--dose {item.strip()}: {exc}") from None
    birth = patient_birth_date.date() if patient_birth_date else None
    patient = Patient(patient_name, birth, patient_id)
    return {"clinic": clinic, "patient": patient if patient else None, "clinician": clinician,
            "doses": doses or None, "lang": lang}


def _make(result: dict, fmt, core, options: dict[str, Any]) -> bytes:
    from . import ReportError, render

    try:
        return render(result, fmt.name, core=core, **options)
    except ReportError as exc:
        raise ReportFailed(str(exc)) from None


@click.command("report")
@click.argument("facts", type=click.File("r", encoding="utf-8"))
@click.option("-f", "--format", "format_name", required=True, metavar="FORMAT",
              help="Report format: json, markdown, text, html, pdf, fhir, or one a plugin adds.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write (default: standard output); with --batch, the folder for the reports.")
@click.option("--batch", is_flag=True,
              help="FACTS holds JSON Lines (one case a line): one report per line, case-0001.EXT ... in the -o folder.")
@click.option("--engine", type=click.Choice(["durable", "plain"]), default=None,
              help="Rule engine (default: durable, or $DECISION_CORE_ENGINE).")
@click.option("--paper", type=click.Choice(["a4", "letter"], case_sensitive=False), default=None,
              help="Paper size for html and pdf (the PDF defaults to A4).")
@click.option("--title", default=None, help="Report title.")
@click.option("--patient-reference", default=None, help="FHIR subject reference, e.g. Patient/123 (fhir format).")
@click.option("--clinic-profile", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The clinic profile YAML (name, phone, emergency number, logo, time zone, language, default "
                   "doses, follow-up form URL); default: $DECISION_CORE_CLINIC_PROFILE.")
@click.option("--patient-name", default=None, help="The patient's name, printed on the handout.")
@click.option("--patient-birth-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The patient's date of birth, YYYY-MM-DD.")
@click.option("--patient-id", default=None, help="The patient's identifier in your records.")
@click.option("--clinician", default=None, help="The clinician's name, printed on the handout.")
@click.option("--dose", multiple=True, metavar="ID=DOSE",
              help="Override one exercise's dose for this report, e.g. glute_bridge=3x12@daily, "
                   "nerve_flossing=2x15-30@2/day, hip_flexor_stretch=3x30s+side@daily~6w (repeatable).")
@click.option("--lang", default=None, help="Language of the patient part (default: the clinic profile's, else en).")
def report(facts: IO[str], format_name: str, output: Path | None, batch: bool, engine: str | None,
           paper: str | None, title: str | None, patient_reference: str | None, clinic_profile: Path | None,
           patient_name: str | None, patient_birth_date, patient_id: str | None, clinician: str | None,
           dose: tuple[str, ...], lang: str | None) -> None:
    """Evaluate the facts in FACTS (a JSON file, or - for standard input) and write a report.

    Exit codes: 0 written; 1 with --batch when any line failed (each reported on
    stderr with its line number); 2 bad facts, unknown format or an output that
    cannot be written (nothing is left half-written).
    """
    from . import UnknownFormat, get_format

    core = current_core()  # the installation given to the CLI (main(obj=core)), else the process default
    try:
        fmt = get_format(format_name, core)
    except UnknownFormat as exc:
        raise ReportFailed(str(exc)) from None
    if not batch and fmt.binary and _to_stdout(output) and _stdout_is_terminal():
        raise ReportFailed(f"the {fmt.name} format is binary: give -o FILE rather than a terminal")
    options = _options(core, paper, title, patient_reference, clinic_profile=clinic_profile, patient_name=patient_name,
                       patient_birth_date=patient_birth_date, patient_id=patient_id, clinician=clinician,
                       dose=dose, lang=lang)
    evaluator = _evaluator(engine)
    if batch:
        if output is None:
            raise ReportFailed("--batch needs -o DIR, the folder for the reports")
        _batch(evaluator, facts, fmt, core, output, options)
        return

    from decision_core.intake import InvalidFacts

    try:
        raw = _read_json(facts, facts.name)
    except click.ClickException as exc:
        raise ReportFailed(exc.message) from None
    try:
        result = evaluator.evaluate(raw).to_dict()
    except InvalidFacts as exc:
        raise ReportFailed(f"{facts.name}: {_facts_problem(exc)}") from None
    except Exception as exc:  # error_object logs it; the user gets a sentence, not a traceback
        raise click.ClickException(error_object(exc)["message"]) from None
    data = _make(result, fmt, core, options)
    _write(data, fmt, output)


def _to_stdout(output: Path | None) -> bool:
    return output is None or str(output) == "-"


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _write(data: bytes, fmt, output: Path | None) -> None:
    from .output import OutputError, write_atomically

    if _to_stdout(output):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        write_atomically(output, data)
    except OutputError as exc:
        raise ReportFailed(str(exc)) from None


def _batch(evaluator, source: IO[str], fmt, core, folder: Path, options: dict[str, Any]) -> None:
    from decision_core.batch import evaluate_lines

    from . import ReportError, render
    from .output import OutputError, write_atomically

    if folder.exists() and not folder.is_dir():
        raise ReportFailed(f"cannot write reports into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportFailed(f"cannot create the folder {folder}: {exc.strerror or exc}") from None

    written = failed = 0
    for number, result in evaluate_lines(evaluator, source):
        if isinstance(result, Exception):
            failed += 1
            click.echo(f"line {number}: {_facts_problem(result)}", err=True)
            continue
        try:
            data = render(result, fmt.name, core=core, **options)
            write_atomically(folder / f"case-{number:04d}.{fmt.extension}", data)
            written += 1
        except (ReportError, OutputError) as exc:
            failed += 1
            click.echo(f"line {number}: {exc}", err=True)
        except Exception:
            failed += 1
            log.exception("line %d: the %s report could not be rendered", number, fmt.name)
            click.echo(f"line {number}: the {fmt.name} report could not be rendered", err=True)
    click.echo(f"{written} report{'s' if written != 1 else ''} written to {folder}"
               + (f"; {failed} line{'s' if failed != 1 else ''} failed" if failed else ""), err=True)
    if failed:
        sys.exit(1)
