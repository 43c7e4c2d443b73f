"""What a report shows, worked out once from a typed result (:class:`decision_core.result.model.Result`;
a stored result's dict is read into one by :func:`as_result`) and shared by every human-readable
format (html, pdf, markdown, text) and the FHIR bundle.

Triage shapes the whole report: at ``urgent`` or ``emergency`` it leads with
what to do now and carries no exercise programme. The result already withholds
exercises at those levels; the view also drops any exercise that slipped through
(red flags always win) and does not name the withheld items, so nothing in the
report reads like a programme.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Mapping

from decision_core.catalogue.dose import Dose, dose_text
from decision_core.figures import exercise_figure
from decision_core.i18n.translations import get_translator
from decision_core.i18n.result_texts import translate_result
from decision_core.i18n.result_words import ResultWords
from decision_core.presentation.phrases import PeopleNames, raises_triage, render, words_of
from decision_core.result.model import Evidence as ResultEvidence
from decision_core.result.model import Reason, Recommendation, Result
from decision_core.i18n.wording import kind_label, starting_dose_note
from decision_core.presentation.values import fact_value

from . import handout, once
from . import programme_view as pv
from .clinic import ClinicProfile, Patient
from decision_core.catalogue.levels import ShownLevels
from decision_core.installation import installed_levels
from .view_types import (AvoidView, CauseView, Evidence, ItemView, QuestionView, ReportView, SourceView,
                         WithheldView)

log = logging.getLogger(__name__)



class InvalidResult(ValueError):
    """The object given to a report is not a decision result."""


def source_titles(core=None) -> dict[str, dict[str, str]]:
    """Titles and publishers by source id, from the source registry of ``core``'s catalogue (default:
    the process default's; ``kind: sources`` rulesets: the built-ins' and every plugin's)."""
    from decision_core.installation import catalogue_or_none

    catalogue = catalogue_or_none(core, log, "source titles")
    registry = {} if catalogue is None else catalogue.sources
    return {s.id: {"title": s.title, "publisher": s.publisher, "author": s.author or "",
                   "patient_title": s.patient_title or ""} for s in registry.values()}


def fact_value_text(value: Any, name: str = "", catalogue: Any = None, gettext=str) -> str:
    """An answer in words, in the reader's language (decision_core.presentation.values)."""
    return fact_value(name, value, catalogue, gettext)


class _Answers:
    """The answers in words for one view: its catalogue's value labels, in its language."""

    def __init__(self, catalogue: Any, gettext):
        self.catalogue, self.gettext = catalogue, gettext

    def __call__(self, facts: Mapping[str, Any] | None) -> list[tuple[str, str]]:
        return [(name, fact_value(name, v, self.catalogue, self.gettext)) for name, v in (facts or {}).items()]


_AS_GIVEN = _Answers(None, str)


def _evidence(ev: ResultEvidence | Reason, answers: _Answers = _AS_GIVEN) -> Evidence:
    strength = getattr(ev, "strength", None)
    return Evidence(
        because=ev.because,
        rule=ev.rule,
        sources=list(ev.sources),
        facts=answers(ev.facts),
        against=isinstance(ev, ResultEvidence) and ev.against,
        strength=strength,
        raw_facts=dict(ev.facts or {}),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _said(value: Any) -> str | None:
    """The text of an item's progression or stop rule (a typed value with .text, a dict, or a string)."""
    if value is None:
        return None
    text = getattr(value, "text", None) or (value.get("text") if isinstance(value, Mapping) else value)
    return " ".join(str(text).split()) or None


def _item(rec: Recommendation, cause_names: dict[str, str], level_name: str, dose: Dose,
          numbers: Mapping[str, int], gettext, answers: _Answers = _AS_GIVEN) -> ItemView:
    serves = [cause_names.get(c, words_of(c)) for c in rec.for_causes]
    if rec.for_triage:
        serves.insert(0, gettext("your triage level ({level})").format(level=level_name))
    instructions = rec.instructions.strip()
    steps = [" ".join(step.split()) for step in getattr(rec, "steps", None) or ()] or handout.sentences(instructions)
    return ItemView(
        id=rec.id,
        name=rec.name,
        kind=rec.kind,
        dose=dose,
        dose_text=dose_text(dose, gettext),
        slots=handout.dose_slots(dose, rec.kind, gettext),
        basis=handout.basis_text(dose, numbers, gettext),
        detail=_text(dose.detail),
        instructions=instructions,
        steps=steps,
        progression=_said(getattr(rec, "progression", None)),
        stop_if=_said(getattr(rec, "stop_if", None)),
        kind_label=kind_label(rec.kind, gettext),
        serves=serves,
        serves_ids=list(rec.for_causes),
        for_triage=rec.for_triage,
        intensity=rec.intensity,
        sources=list(rec.sources),
        reasons=[_evidence(r, answers) for r in rec.reasons],
    )


def as_result(result: Any) -> Result:
    """A Result, or its dict read back into one; InvalidResult when it is neither."""
    if isinstance(result, Result):
        return result
    if not isinstance(result, Mapping):
        raise InvalidResult(f"a report needs a decision result (a Result or its dict), not {type(result).__name__}")
    if "error" in result and "triage" not in result:
        raise InvalidResult(f"cannot report on an error object: {result.get('message') or result['error']}")
    try:
        return Result.from_dict(result)
    except KeyError as exc:
        raise InvalidResult(f"not a decision result: missing {exc.args[0]}") from None
    except (TypeError, AttributeError, ValueError) as exc:
        raise InvalidResult(f"not a decision result: {exc}") from None


def build_view(result: Any, generated_at: datetime | None = None, title: str | None = None, *,
               clinic: ClinicProfile | None = None, patient: Patient | None = None, clinician: str | None = None,
               doses: Mapping[str, Dose] | None = None, lang: str | None = None,
               levels: ShownLevels | None = None, core=None) -> ReportView:
    """The view of a result; ``core``: the installation whose catalogue and translations it reads
    (default: the process default)."""
    res = as_result(result)
    lang = lang or (clinic.language if clinic else None) or "en"
    tr = get_translator(lang, core)  # UnknownLanguage (a ValueError) names the installed ones
    catalogue = _catalogue(core)
    # in the reader's language, and what the core composed said from its phrases (names, never ids)
    res = translate_result(res, tr, catalogue)
    gettext = tr.gettext
    words = ResultWords(res, catalogue, gettext)  # the result in words, as every reader reads it
    answers = _Answers(catalogue, gettext)
    levels = levels if levels is not None else installed_levels(core)
    triage = res.triage
    level_name = words.level_name or words_of(triage.level)
    # The safety policy decides when the home programme is on hold; the report follows it.
    acute = words.on_hold
    cause_names = {c.id: c.name for c in res.causes}
    # a dose the practitioner gives an alternative puts it into the programme
    programme = None if acute else pv.with_practitioner_doses(res, catalogue, doses)
    resolved = handout.resolved_doses(res.recommendations, clinic, doses, pv.programme_doses(programme))
    shown = [r for r in res.recommendations if not (acute and r.kind == "exercise")]
    if programme is not None:  # the patient part shows what the programme chose (and what leads)
        chosen = set(pv.chosen_ids(programme))
        shown = [r for r in shown if r.id in chosen or r.leads]
    titles = source_titles(core)
    patient_sources = handout.number_sources(handout.patient_citations(res, shown, resolved), titles, gettext)
    numbers = {s.id: s.number for s in patient_sources}

    causes = [
        CauseView(id=c.id, name=c.name, rank=c.rank, score=c.score, confidence=c.confidence, why=c.why.strip(),
                  fix=None if acute or not c.fix else c.fix.strip(), evidence=[_evidence(e, answers) for e in c.evidence],
                  sources=list(c.sources), likelihood=said.likelihood)
        for c, said in zip(res.causes, words.causes)
    ]
    items = [_item(r, cause_names, level_name, resolved[r.id], numbers, gettext, answers) for r in res.recommendations]
    for item in items:  # the exercise's picture, titled with its name in the reader's language
        item.picture = exercise_figure(catalogue, item.id, item.name) or ""
    dropped: list[str] = []
    if acute:
        # Defence in depth: the policy already withholds exercises while the programme is on hold.
        dropped = [i.id for i in items if i.kind == "exercise"]
        if dropped:
            log.warning("programme on hold: leaving exercises %s out of the report", ", ".join(dropped))
        items = [i for i in items if i.kind != "exercise"]
        do_now, exercises, other = items, [], []
    else:
        # what the safety policy puts first (the referral) comes before the programme
        leads = {r.id for r in res.recommendations if r.leads}
        do_now = [i for i in items if i.id in leads]
        exercises = [i for i in items if i.kind == "exercise" and i.id not in leads]
        other = [i for i in items if i.kind != "exercise" and i.id not in leads]
    chosen_view = None
    if programme is not None:
        chosen_view = pv.build(programme, {i.id: i for i in items}, {i.id for i in do_now},
                               clinic.programme_weeks if clinic else None, gettext, catalogue)
        exercises = [i for phase in chosen_view.phases for i in phase.items]
        other = chosen_view.lifestyle

    withheld_exercises = sum(1 for w in res.withheld if w.kind == "exercise") + len(dropped)
    withheld = [] if acute else [WithheldView(w.id, w.name, w.kind, w.reason) for w in res.withheld]

    cited: list[str] = []
    for ids in ([r.sources for r in triage.reasons] + [c.sources for c in causes]
                + [e.sources for c in causes for e in c.evidence] + [i.sources for i in do_now + exercises + other]
                + [a.sources for a in res.avoid]):
        cited.extend(ids)
    sources = [
        SourceView(s, titles.get(s, {}).get("title", "(no title on file)"), titles.get(s, {}).get("publisher", ""))
        for s in sorted(set(cited))
    ]
    weeks = handout.programme_weeks(clinic, resolved, [i.id for i in exercises])
    review = None
    if chosen_view is not None:
        weeks, review = chosen_view.weeks, chosen_view.review_in_weeks
    level = handout.catalogue_level(triage.level, core)
    red_flags, red_flags_also = pv.red_flag_calls(res, catalogue, clinic, gettext)
    view = ReportView(
        levels=levels,
        level=triage.level,
        level_name=level_name,
        advice=triage.advice.strip(),
        acute=acute,
        reasons=[_evidence(r, answers) for r in triage.reasons],
        reason_levels=[r.level or triage.level for r in triage.reasons],
        causes=causes,
        do_now=do_now,
        exercises=exercises,
        other_advice=other,
        avoid=[AvoidView(a.id, a.name, a.why.strip(), list(a.sources), [_evidence(r, answers) for r in a.reasons])
               for a in res.avoid],
        withheld=withheld,
        withheld_exercise_count=withheld_exercises,
        next_questions=[QuestionView(q.fact, q.question, q.why, q.kind) for q in res.next_questions],
        open_safety_questions=[QuestionView(q.fact, q.question,
                                            _raises(q.could_raise_to, levels, gettext),
                                            "safety") for q in res.open_safety_questions],
        facts=answers(dict(sorted(res.facts.items()))),
        rulesets=[r.to_dict() for r in res.rulesets],
        sources=sources,
        disclaimer=res.disclaimer,
        engine=res.engine,
        generated_at=generated_at or datetime.now(timezone.utc),
        header=handout.header(clinic, patient, clinician, generated_at or datetime.now(timezone.utc), weeks, lang,
                              review),
        safety_net=handout.safety_net(level, clinic, gettext),
        emergency_call=handout.emergency_call(clinic, gettext),
        sheet=handout.sheet(exercises, weeks, gettext),
        patient_sources=patient_sources,
        lang=lang,
        title=title or gettext(ReportView.title),
        dropped_exercises=dropped,
        programme=chosen_view,
        red_flags=red_flags,
        red_flags_also=red_flags_also,
        assessment_questions=_questions(pv.assessment_questions(res), levels, gettext),
        starting_note=once.upper_first(starting_dose_note(gettext)),
        # "how are you getting on?": not while the programme is on hold (that handout says what to do now)
        follow_up=None if acute or clinic is None else clinic.follow_up_link(res.record_id),
    )
    return once.say_once(view, triage.reasons, {} if catalogue is None else catalogue.facts, tr)


def _raises(level_id: str, levels: ShownLevels, gettext) -> str:
    """'could raise the triage to See a doctor ...': the level by its name, never its id."""
    return render(raises_triage(level_id), PeopleNames(_Levels(levels), gettext))


class _Levels:
    """The shown levels as the names a phrase reads (their catalogue's, or the most severe's for one it lacks)."""

    def __init__(self, levels: ShownLevels):
        self.levels = list(levels.levels.values())


def _questions(found, levels: ShownLevels, gettext) -> list[QuestionView] | None:
    if found is None:
        return None
    return [QuestionView(q["fact"], gettext(q["question"]), _raises(q["could_raise_to"], levels, gettext), "safety")
            for q in found]


def _catalogue(core):
    from decision_core.installation import catalogue_or_none

    return catalogue_or_none(core, log, "fact labels and red-flag contacts")
