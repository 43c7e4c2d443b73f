"""The patient part of a report: who it is for and from, each exercise's full
dose (or a marked blank), its steps, how to progress and when to stop, a
week-by-week tick sheet, when to call, and numbered sources.

Everything here is worked out from the typed result, the catalogue's own data
(triage levels' ``seek_care_if`` lines, source titles) and the report's options
(clinic profile, patient, clinician, per-report doses); the templates only lay
it out.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Mapping

from decision_core.catalogue.dose import Dose, resolve

from .clinic import ClinicProfile, Patient
from .saved_dose import read_dose

log = logging.getLogger(__name__)

Gettext = Callable[[str], str]
BLANK = "\u2002" * 6  # room to write a figure by hand; the template draws the line
DEFAULT_SHEET_WEEKS = 4  # tick-sheet columns when no programme length is known (the length stays a blank)


@dataclass
class DoseSlot:
    """One part of a dose as the patient reads it: a figure, or a blank the practitioner fills in."""

    label: str
    text: str | None  # None: a blank to fill in by hand

    @property
    def blank(self) -> bool:
        return self.text is None


@dataclass
class SafetyNetLine:
    says: str
    call: str  # who to call, with the number when the clinic profile gives it
    emergency: bool


@dataclass
class PatientSource:
    number: int
    id: str
    title: str
    author: str


@dataclass
class Header:
    clinic: ClinicProfile | None
    patient: Patient | None
    clinician: str | None
    prepared: datetime  # in the clinic's time zone
    prepared_text: str
    birth_date_text: str | None
    programme_weeks: int | None
    review_date_text: str | None
    review_date: date | None = None


def sentences(text: str) -> list[str]:
    """A paragraph of instructions as steps, one sentence each (for items without their own steps)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(text.split()))
    return [p for p in parts if p]


def resolved_doses(recommendations, clinic: ClinicProfile | None,
                   overrides: Mapping[str, Dose] | None, chosen: Mapping[str, object] | None = None) -> dict[str, Dose]:
    """Each item's dose: the practitioner's override, else the source's figures (or, for an item the
    programme chose, the programme's dose: the source's figures and the product's starting defaults),
    the clinic's default filling what they leave out."""
    clinic_doses = clinic.doses if clinic else {}
    overrides = overrides or {}
    chosen = chosen or {}
    return {r.id: resolve(_under_clinic(read_dose(chosen.get(r.id) or r.dose), clinic_doses.get(r.id)),
                          clinic_doses.get(r.id), overrides.get(r.id))
            for r in recommendations}


_AMOUNTS = ("reps", "hold_seconds", "duration_seconds")


def _under_clinic(dose: Dose, clinic: Dose | None) -> Dose:
    """The dose without the product's starting defaults the clinic's own default replaces (a source's
    figure still comes first); a default amount (reps, a hold, a time) goes when the clinic gives any."""
    if clinic is None or "default" not in dose.basis.values():
        return dose
    given = set(clinic.given())
    dropped = {f for f, basis in dose.basis.items() if basis == "default"
               and (f in given or (f in _AMOUNTS and given & set(_AMOUNTS)))}
    if not dropped:
        return dose
    values = {f: getattr(dose, f) for f in dose.given() if f not in dropped}
    return Dose(**values, detail=dose.detail, basis={f: b for f, b in dose.basis.items() if f not in dropped},
                citations=dose.citations)


def dose_slots(dose: Dose, kind: str, gettext: Gettext) -> list[DoseSlot]:
    """The parts of an exercise's dose in reading order, with a blank for each missing one."""
    from decision_core.catalogue.dose import figure_texts

    _ = gettext
    texts = figure_texts(dose, gettext)
    how_much = ", ".join(texts[k] for k in ("reps", "hold_seconds", "duration_seconds") if k in texts)
    if texts.get("per_side"):
        how_much = f"{how_much}, {texts['per_side']}" if how_much else texts["per_side"]
    slots = [DoseSlot(_("Sets"), texts.get("sets")), DoseSlot(_("Each set"), how_much or None),
             DoseSlot(_("How often"), texts.get("frequency"))]
    if kind != "exercise":
        slots = [s for s in slots if not s.blank]
    if dose.weeks is not None:
        slots.append(DoseSlot(_("How long"), texts["weeks"]))
    return slots


def basis_text(dose: Dose, numbers: Mapping[str, int], gettext: Gettext) -> str:
    """Where the figures came from, in words, then the patient part's numbers of what the dose cites once:
    'the source and a standard starting dose [1, 5]', 'your clinic', 'your practitioner'."""
    _ = gettext
    words = {"source": _("the source"), "default": _("a standard starting dose"), "clinic": _("your clinic"),
             "practitioner": _("your practitioner")}
    parts = [words[b] for b in dict.fromkeys(dose.basis.values()) if b in words]
    if not parts:
        return ""
    from .once import word_list

    text = word_list(parts, _lang_of(gettext))
    cited = sorted({numbers[c.source] for c in dose.citations if c.source in numbers})
    return f"{text} [{', '.join(map(str, cited))}]" if cited else text


def _lang_of(gettext: Gettext) -> str:
    """The language of a translator's gettext (its bound Translator), for list words; English otherwise."""
    return getattr(getattr(gettext, "__self__", None), "lang", "en")


def tick_lines(dose: Dose) -> list[int] | None:
    """One week of a tick sheet as lines of boxes: a line of seven (a box a day) for each time a day,
    one line with a box per session for two to seven times a week, no box for once a week or less.
    None: no frequency given (the practitioner writes it in)."""
    freq = dose.frequency
    if freq is None:
        return None
    if freq.per == "day":
        return [7] * min(max(freq.times, 1), 3)
    return [min(freq.times, 7)] if freq.times > 1 else []


def safety_net(level, clinic: ClinicProfile | None, gettext: Gettext) -> list[SafetyNetLine]:
    """The 'call us / seek care if' lines the triage level declares, with the numbers to call."""
    _ = gettext
    if level is None:
        return []
    lines = []
    for says, contact in level.seek_care_if:
        call = emergency_line(clinic, gettext) if contact == "emergency" else clinic_line(clinic, gettext)
        lines.append(SafetyNetLine(gettext(says), call, contact == "emergency"))
    return lines


def emergency_line(clinic: ClinicProfile | None, gettext: Gettext) -> str:
    """Whom to call in an emergency, with the clinic's emergency number when its profile gives one."""
    _ = gettext
    number = clinic.emergency_number if clinic and clinic.emergency_number else None
    return _("Call {number} now").format(number=number) if number else _("Call your local emergency number now")


def clinic_line(clinic: ClinicProfile | None, gettext: Gettext) -> str:
    """Whom to call otherwise: the clinic's phone when its profile gives one."""
    _ = gettext
    return (_("Call us on {phone}").format(phone=clinic.phone) if clinic and clinic.phone
            else _("Contact your physiotherapist or doctor"))


def emergency_call(clinic: ClinicProfile | None, gettext: Gettext) -> str:
    _ = gettext
    if clinic and clinic.emergency_number:
        return _("Call {number} or go to the nearest emergency department.").format(number=clinic.emergency_number)
    return _("Call your local emergency number or go to the nearest emergency department.")


def local_text(moment: datetime, lang: str) -> str:
    """A local date and time in the language's own long form: '30 November 2026, 17:20 (GMT)'."""
    from babel.dates import format_date, format_time

    locale = _locale(lang)
    return (f"{format_date(moment, 'long', locale=locale)}, "
            f"{format_time(moment, 'HH:mm', tzinfo=moment.tzinfo, locale=locale)} ({moment.tzname()})")


def header(clinic: ClinicProfile | None, patient: Patient | None, clinician: str | None, generated_at: datetime,
           programme_weeks: int | None, lang: str, review_weeks: int | None = None) -> Header:
    from babel.dates import format_date

    from zoneinfo import ZoneInfo

    zone = clinic.zone if clinic else ZoneInfo("UTC")
    prepared = generated_at.astimezone(zone)
    review = review_on = None
    review_weeks = review_weeks or programme_weeks
    if review_weeks:
        review_on = prepared.date() + timedelta(weeks=review_weeks)
        review = format_date(review_on, "long", locale=_locale(lang))
    birth = format_date(patient.birth_date, "long", locale=_locale(lang)) if patient and patient.birth_date else None
    return Header(clinic, patient if patient else None, clinician or None, prepared, local_text(prepared, lang),
                  birth, programme_weeks, review, review_on)


def programme_weeks(clinic: ClinicProfile | None, doses: Mapping[str, Dose], exercise_ids: list[str]) -> int | None:
    """How long the programme runs: the clinic's length, else the longest an exercise's dose gives."""
    if clinic and clinic.programme_weeks:
        return clinic.programme_weeks
    weeks = [doses[i].weeks for i in exercise_ids if doses[i].weeks]
    return max(weeks) if weeks else None


def number_sources(cited: list[str], titles: Mapping[str, Mapping[str, str]],
                   gettext: Gettext = str) -> list[PatientSource]:
    """The patient part's sources, numbered in the order first cited: an article by its own title (never
    translated) and who wrote it (in the reader's words); a source of ours (the safety policy) in plain
    words, translated, without a publisher."""
    out = []
    for n, sid in enumerate(cited, start=1):
        entry = titles.get(sid, {})
        if entry.get("patient_title"):
            out.append(PatientSource(n, sid, gettext(entry["patient_title"]), ""))
            continue
        by = entry.get("author") or entry.get("publisher", "")
        out.append(PatientSource(n, sid, entry.get("title", sid), gettext(by) if by else ""))
    return out


WEEKS_PER_TABLE = 4  # week columns side by side: a line of seven boxes stays on one line in each


@dataclass
class SheetRow:
    name: str
    how_often: str
    lines: list[int] | None  # boxes per line in one week's cell; [] nothing to tick; None a blank to fill in
    note: str = ""  # said instead of boxes (once a week or less)

    def boxes(self, box: str = "\u2610") -> list[str]:
        return [box * n for n in self.lines or ()]


@dataclass
class Sheet:
    weeks: int
    known_length: bool
    rows: list[SheetRow] = field(default_factory=list)
    columns: int = WEEKS_PER_TABLE

    @property
    def tables(self) -> list[list[int]]:
        """The week numbers of each table: four weeks side by side, then the next four below."""
        weeks = list(range(1, self.weeks + 1))
        return [weeks[i:i + WEEKS_PER_TABLE] for i in range(0, len(weeks), WEEKS_PER_TABLE)]


def sheet(exercises, weeks: int | None, gettext: Gettext) -> Sheet | None:
    """The tick sheet: a row per exercise, a column per week, the boxes its frequency needs."""
    if not exercises:
        return None
    out = Sheet(weeks or DEFAULT_SHEET_WEEKS, bool(weeks))
    for item in exercises:
        how_often = next((s.text for s in item.slots if s.label == gettext("How often")), None) or ""
        lines = tick_lines(item.dose)
        note = gettext("Nothing to tick: just do it {how_often}.").format(how_often=how_often) if lines == [] else ""
        out.rows.append(SheetRow(item.name, how_often, lines, note))
    return out


def _locale(lang: str) -> str:
    """Babel locale for dates: day-month-year English unless the language says otherwise."""
    from decision_core.i18n.translations import babel_locale

    return "en_GB" if lang == "en" else babel_locale(lang)


def patient_citations(res, leads_and_items, doses: Mapping[str, Dose]) -> list[str]:
    """The source ids the patient part cites, in the order it first cites them."""
    cited: list[str] = []
    for c in res.causes:
        cited.extend(c.sources)
        for e in c.evidence:
            cited.extend(e.sources)
    for r in leads_and_items:
        cited.extend(c.source for c in doses[r.id].citations)
        cited.extend(r.sources)
    for a in res.avoid:
        cited.extend(a.sources)
    return list(dict.fromkeys(cited))


def catalogue_level(level_id: str, core=None):
    """The triage level (its seek-care lines) of ``core``'s catalogue (default: the process default's),
    or None for a level it does not know."""
    from decision_core.installation import catalogue_or_none

    catalogue = catalogue_or_none(core)
    try:
        return None if catalogue is None else catalogue.level(level_id)
    except KeyError:
        return None
