"""The patient's programme and red flags as a report shows them (issue 19 §1-§3): the result's
``programme`` (phases of dosed exercises, a few everyday changes, a length and a review, the
alternatives not chosen) and its ``open_red_flags`` / ``open_assessment_questions``.

Both are read from the result's dictionary form, so a stored result and a typed one read the same;
a result without them (one saved before they existed) is shown as before: every recommendation, and
every open safety question.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from decision_core.i18n.wording import not_chosen_reason

log = logging.getLogger(__name__)

@dataclass
class PhaseView:
    id: str
    name: str
    items: list  # ItemView, each with its resolved dose and ``starting_dose``


@dataclass
class AlternativeView:
    id: str
    name: str
    kind_label: str
    why: str
    dose_text: str
    why_code: str = ""  # the result's code (same_job, limit, fit_...), for machines (FHIR)


@dataclass
class ProgrammeView:
    phases: list[PhaseView]
    lifestyle: list
    weeks: int | None
    review_in_weeks: int | None
    alternatives: list[AlternativeView] = field(default_factory=list)


@dataclass
class RedFlagCall:
    """Red-flag questions that end in the same call: 'If any of these is true, do not start: call ...'."""

    call: str  # the whole sentence
    emergency: bool
    questions: list[str] = field(default_factory=list)


def plain(value: Any) -> Any:
    """A field of the result in its dictionary form (typed classes have ``to_dict``)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def programme_of(res) -> Mapping[str, Any] | None:
    """The result's programme (dictionary form), or None when the result has none."""
    found = plain(getattr(res, "programme", None))
    return found if isinstance(found, Mapping) else None


def programme_doses(programme: Mapping[str, Any] | None) -> dict[str, Any]:
    """The dose the programme gives each item it chose (its dictionary form), by item id."""
    out: dict[str, Any] = {}
    if not programme:
        return out
    for phase in programme.get("phases") or ():
        for item in phase.get("items") or ():
            if item.get("dose"):
                out[item["id"]] = item["dose"]
    for item in programme.get("lifestyle") or ():
        if item.get("dose"):
            out[item["id"]] = item["dose"]
    return out


def chosen_ids(programme: Mapping[str, Any]) -> list[str]:
    ids = [i["id"] for ph in programme.get("phases") or () for i in ph.get("items") or ()]
    return ids + [i["id"] for i in programme.get("lifestyle") or ()]


def starting(item, dose) -> Any:
    """The item marked 'starting dose' when any figure of its dose is the product's default."""
    return replace(item, starting_dose="default" in dose.basis.values())


def build(programme: Mapping[str, Any], items: Mapping[str, Any], leads: set[str], weeks_override: int | None,
          gettext, catalogue=None) -> ProgrammeView:
    """The programme's view from the result's programme and the report's items by id (leads, which the
    report puts first, are not repeated)."""
    phases = []
    for phase in programme.get("phases") or ():
        shown = [starting(items[i["id"]], items[i["id"]].dose) for i in phase.get("items") or ()
                 if i["id"] in items and i["id"] not in leads]
        if shown:
            name = phase.get("name")
            phases.append(PhaseView(phase.get("id", ""), gettext(name) if name else "", shown))
    lifestyle = [items[i["id"]] for i in programme.get("lifestyle") or () if i["id"] in items and i["id"] not in leads]
    alternatives = []
    for alt in programme.get("alternatives") or ():
        item = items.get(alt.get("id"))
        if item is None:
            continue
        why = not_chosen_reason(alt.get("why") or "limit", catalogue, gettext)
        alternatives.append(AlternativeView(item.id, item.name, item.kind_label, why, item.dose_text,
                                            alt.get("why") or ""))
    weeks = weeks_override or programme.get("weeks")
    review = programme.get("review_in_weeks") or weeks
    if weeks_override:
        review = weeks_override  # the clinic's length sets the review too
    return ProgrammeView(phases, lifestyle, weeks, review, alternatives)


def red_flag_calls(res, catalogue, clinic, gettext) -> tuple[list[RedFlagCall] | None, str]:
    """The open red flags as a checklist by whom to call, in the shared words (``wording``): a yes/no
    red flag is an item, the others are named in one line to answer too. (None, '') when the result does
    not split its open questions."""
    if getattr(res, "open_red_flags", None) is None:
        return None, ""
    from decision_core.i18n.wording import red_flag_call, red_flag_checklist, red_flags_also

    groups, others = red_flag_checklist(res, catalogue)
    out = []
    for contact, questions in groups:
        number = None
        if clinic is not None:
            number = clinic.emergency_number if contact == "emergency" else clinic.phone if contact else None
        call = red_flag_call(contact, gettext, number, held=res.programme_on_hold)
        out.append(RedFlagCall(call, contact == "emergency", list(dict.fromkeys(gettext(q.question) for q in questions))))
    return out, red_flags_also(others, catalogue, gettext) if others else ""


def assessment_questions(res) -> list[Mapping[str, Any]] | None:
    found = plain(getattr(res, "open_assessment_questions", None))
    return None if found is None else list(found)


def with_practitioner_doses(res, catalogue, doses) -> Mapping[str, Any] | None:
    """The programme with every alternative the practitioner gave a dose put into it (issue 19 §1): in the
    place of the chosen item that does the same job (the ``prog`` selector's swap, so the rest of the
    choice stays), else beside the others of its kind. Without such doses: the result's own programme."""
    programme = programme_of(res)
    if programme is None or not doses or catalogue is None:
        return programme
    alternatives = {a["id"] for a in programme.get("alternatives") or ()}
    wanted = [i for i in doses if i in alternatives]
    if not wanted:
        return programme
    from decision_core.evaluation.prescription import SwapError, select_programme

    rules = getattr(catalogue, "programme", None)
    jobs = rules.jobs if rules is not None else frozenset()

    def job_of(item_id: str) -> frozenset:
        rec = catalogue.recommendations.get(item_id)
        return frozenset(rec.tags) & jobs if rec is not None else frozenset()

    chosen = chosen_ids(programme)
    swaps, extra = {}, []
    for in_id in wanted:
        partner = next((c for c in chosen if c not in swaps and job_of(c) & job_of(in_id)), None)
        if partner is None:
            extra.append(in_id)
        else:
            swaps[partner] = in_id
    try:
        selected = plain(select_programme(res, catalogue, swaps)) if swaps else dict(programme)
    except SwapError as exc:
        log.info("swap not made by the selector (%s): the items join the programme as given", exc)
        selected, extra = dict(programme), wanted
    if selected is None:
        return programme
    return _added(selected, extra, catalogue)


def _added(programme: dict[str, Any], ids: list[str], catalogue) -> dict[str, Any]:
    """The programme with ``ids`` added: an exercise to the first phase, anything else to the everyday list."""
    if not ids:
        return programme
    rules = getattr(catalogue, "programme", None)
    exercise_kinds = set(rules.settings.exercise_kinds) if rules is not None else {"exercise"}
    phases = [dict(p, items=list(p.get("items") or ())) for p in programme.get("phases") or ()]
    lifestyle = list(programme.get("lifestyle") or ())
    for item_id in ids:
        rec = catalogue.recommendations.get(item_id)
        entry = {"id": item_id, "dose": {}, "starting_dose": False}
        if rec is not None and rec.kind in exercise_kinds:
            if not phases:
                phases.append({"id": "start", "name": "", "items": []})
            phases[0]["items"].append(entry)
        else:
            lifestyle.append(entry)
    alternatives = [a for a in programme.get("alternatives") or () if a["id"] not in ids]
    return dict(programme, phases=phases, lifestyle=lifestyle, alternatives=alternatives)
