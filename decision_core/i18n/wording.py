"""How a result is put into words for people: the phrases the CLI summary (``summary``), the
CDS card (``adapters/http/cards``) and the reports (``adapters/reports``) share, so that a dose,
a triage level or a confidence reads the same wherever it is shown.

The layouts stay with each target (a terminal, a card's markdown, the report templates); the
escaping is in ``markdown`` (and Jinja's autoescape for HTML); a dose's figures become words
in ``dose.dose_text`` alone.
"""
from __future__ import annotations

from typing import Any, Callable

from decision_core.catalogue.dose import Dose, dose_text
from decision_core.i18n.result_texts import N_

# The short forms (the CLI summary, a card) list the first few questions worth asking; a report lists all.
QUESTIONS_SHOWN = 5


def dose_phrase(dose: Dose, escape: Callable[[str], str] | None = None, gettext: Callable[[str], str] = str) -> str:
    """The dose in words, then the source's detail: '3 sets, 12 reps, every day; slowly' ('' when
    it has neither). ``escape`` is applied to each part (a card's markdown)."""
    parts = (part for part in (dose_text(dose, gettext), dose.detail) if part)
    return "; ".join(escape(part) for part in parts) if escape else "; ".join(parts)


def level_label(level_name: str) -> str:
    """A triage level's name as a banner shows it, in capitals (never its id)."""
    return level_name.upper()


# What each kind of recommendation is called (a kind's id never reaches a person)
KIND_LABELS = {"exercise": N_("Exercise"), "lifestyle": N_("Everyday change"), "self_care": N_("Self-care"),
               "referral": N_("Referral")}


def kind_label(kind: str, gettext: Callable[[str], str] = str) -> str:
    """'Self-care' for ``self_care``: a recommendation's kind in words."""
    return gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else kind.replace("_", " ").strip().capitalize()


def cause_names(ids, result: Any = None, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """Causes by their names ('Sleepy glutes, Prolonged sitting'): the result's (already in the reader's
    language), else the catalogue's translated."""
    from decision_core.presentation.phrases import PeopleNames

    listed = {c.id: c.name for c in getattr(result, "causes", ())}
    names = PeopleNames(catalogue, gettext)
    return ", ".join(listed.get(c) or names.cause(c) for c in ids)


def percent(fraction: float) -> str:
    """A confidence as a whole percentage: 0.72 -> '72%'."""
    return f"{fraction:.0%}"


def yes_no(value: bool, gettext: Callable[[str], str] = str) -> str:
    from decision_core.presentation.values import yes_no as said

    return said(value, gettext)


def programme_heading(on_hold: bool, gettext: Callable[[str], str] = str) -> str:
    """What the recommendations are called: while the safety policy holds the programme, they are
    what to do now (a referral, self-care), not a programme."""
    return gettext(N_("What to do now")) if on_hold else gettext(N_("Programme"))


def programme_length(weeks: int, review_in_weeks: int, gettext: Callable[[str], str] = str) -> str:
    """'for 4 weeks, then a review' (or 'for 6 weeks, review after 4 weeks' when they differ)."""
    _ = gettext
    length = (_("for {n} week") if weeks == 1 else _("for {n} weeks")).format(n=weeks)
    if review_in_weeks == weeks:
        return _("{length}, then a review").format(length=length)
    review = (_("review after {n} week") if review_in_weeks == 1 else _("review after {n} weeks")).format(
        n=review_in_weeks)
    return f"{length}, {review}"


def everyday_heading(on_hold: bool, gettext: Callable[[str], str] = str) -> str:
    """What the programme's everyday list is called: the everyday changes, self-care and referrals (while
    the programme is on hold, that list is all there is to do now)."""
    return gettext(N_("What to do now")) if on_hold else gettext(N_("Also"))


def starting_dose_note(gettext: Callable[[str], str] = str) -> str:
    """Said of a dose with a figure from the product's default starting doses."""
    return gettext(N_("starting dose: your practitioner may change it"))


# Why an allowed item was not chosen for the programme (decision_core.evaluation.prescription's codes); a fit rule's
# code is said in the words of the rule (its ``says``, from the programme ruleset).
_NOT_CHOSEN = {
    "same_job": N_("same job as a chosen item"),
    "limit": N_("over the programme's limits"),
    "on_hold": N_("no exercise while the programme is on hold"),
    "no_dose": N_("no full dose"),
    "needs_start": N_("nothing chosen to start with"),
    "not_in_programme": N_("not listed in a programme"),
    "swapped_out": N_("swapped out"),
}


def not_chosen_reason(code: str, catalogue: Any = None, gettext: Callable[[str], str] = str) -> str:
    """Why an alternative was not chosen, in words: a fit rule's own words, else the selection's."""
    rules = getattr(catalogue, "programme", None)
    for rule in getattr(rules, "fit", ()):
        if rule.why == code:
            return gettext(rule.says)
    return gettext(_NOT_CHOSEN[code]) if code in _NOT_CHOSEN else code.replace("_", " ")


def alternatives_line(alternatives: list, names: dict[str, str], catalogue: Any = None,
                      gettext: Callable[[str], str] = str) -> str:
    """The alternatives in one line, grouped by why: 'Donkey kick, Clamshell (same job as a chosen item);
    Squat, Deadlift (only when pain-free)'. ``names``: item id -> its name."""
    grouped: dict[str, list[str]] = {}
    for alt in alternatives:
        grouped.setdefault(alt.why, []).append(names.get(alt.id, alt.id))
    return "; ".join(f"{', '.join(items)} ({not_chosen_reason(why, catalogue, gettext)})"
                     for why, items in grouped.items())


def questions_shown(result: Any) -> list:
    """The next questions a short form lists (the first ``QUESTIONS_SHOWN``)."""
    return result.next_questions[:QUESTIONS_SHOWN]


def ruleset_ref(ruleset_id: str, version: str) -> str:
    """A ruleset and its version in one token: 'triage@1.2.0'."""
    return f"{ruleset_id}@{version}"


# ------------------------------------------------------------------ red flags (issue 19 §3)
# What a reader is told while red-flag questions are open (result.open_red_flags): which ones, and whom
# to call if one is true. The contact of a red flag is its level's (``contact`` in the triage ruleset).
RED_FLAGS_CALL = {
    "emergency": N_("If any of these is true, do not start: call your local emergency number now."),
    "clinic": N_("If any of these is true, do not start: call your physiotherapist or doctor today."),
}
RED_FLAGS_CALL_NUMBER = {
    "emergency": N_("If any of these is true, do not start: call {number} now."),
    "clinic": N_("If any of these is true, do not start: call us on {number} today."),
}
RED_FLAGS_CALL_ANY = N_("If any of these is true, do not start: call your physiotherapist or doctor today, or your "
                        "local emergency number if it cannot wait.")
# While the programme is on hold there is nothing to start: the same calls without "do not start"
RED_FLAGS_CALL_HELD = {
    "emergency": N_("If any of these is true: call your local emergency number now."),
    "clinic": N_("If any of these is true: call your physiotherapist or doctor today."),
}
RED_FLAGS_CALL_NUMBER_HELD = {
    "emergency": N_("If any of these is true: call {number} now."),
    "clinic": N_("If any of these is true: call us on {number} today."),
}
RED_FLAGS_CALL_ANY_HELD = N_("If any of these is true: call your physiotherapist or doctor today, or your local "
                             "emergency number if it cannot wait.")
RED_FLAGS_ALSO = N_("To rule them out, also answer: {questions}")
ASSESSMENT_HEADING = N_("Questions for the assessment (not red flags)")
TRIAGE_SO_FAR = N_("Triage so far: {level}.")
TRIAGE_NOT_YET_KNOWN = N_("Triage: not yet known until the red flags are answered.")
TRIAGE_AT_LEAST = N_("Triage: at least {level}; not yet known until the red flags are answered.")
ONCE_RED_FLAGS = N_("{level}, once {count} red flags are ruled out")
ONCE_RED_FLAG = N_("{level}, once 1 red flag is ruled out")
ONCE_THESE = N_("{level}, once these red flags are ruled out: {flags}")
ONCE_THIS = N_("{level}, once this red flag is ruled out: {flags}")
RED_FLAGS_OPEN = N_("{count} red flags open")
RED_FLAG_OPEN = N_("1 red flag open")


def red_flag_groups(result: Any, catalogue: Any = None) -> list[tuple[str | None, list]]:
    """The open red flags by whom to call, the most severe contact first: [(contact, questions)].

    The contact is the level's each question could raise the triage to; a level the catalogue does not
    know counts as its most severe (never a milder one). Without a catalogue: one group, contact None."""
    flags = list(result.open_red_flags)
    if not flags:
        return []
    if catalogue is None:
        return [(None, flags)]
    ranked: dict[str, tuple[int, list]] = {}
    for q in flags:
        level = catalogue.shown_level(q.could_raise_to)
        contact = level.contact or "clinic"
        rank, group = ranked.setdefault(contact, (level.rank, []))
        ranked[contact] = (max(rank, level.rank), group)
        group.append(q)
    return [(contact, group) for contact, (_, group) in sorted(ranked.items(), key=lambda kv: -kv[1][0])]


def red_flag_checklist(result: Any, catalogue: Any = None) -> tuple[list[tuple[str | None, list]], list]:
    """(the yes/no red flags by whom to call, the other open red flags): a yes/no question reads as an item of
    "if any of these is true"; the others (how it started, where it hurts, how much) are red flags only with
    another answer, so they are asked, not ticked."""
    groups = red_flag_groups(result, catalogue)
    if catalogue is None:
        return groups, []

    def ticked(q) -> bool:
        fact = catalogue.facts.get(q.fact)
        return fact is None or fact.type == "bool"  # a fact it does not know: shown as an item (never hidden)

    checklist = [(contact, [q for q in flags if ticked(q)]) for contact, flags in groups]
    return [(c, flags) for c, flags in checklist if flags], [q for q in result.open_red_flags if not ticked(q)]


def red_flags_also(questions: list, catalogue: Any, gettext: Callable[[str], str] = str) -> str:
    """'To rule them out, also answer: How it started; Where it hurts' (the facts' labels)."""
    names = []
    for q in questions:
        fact = catalogue.facts.get(q.fact) if catalogue is not None else None
        names.append(gettext(fact.label) if fact is not None and fact.label else q.question)
    return gettext(RED_FLAGS_ALSO).format(questions="; ".join(names))


def red_flag_call(contact: str | None, gettext: Callable[[str], str] = str, number: str | None = None,
                  held: bool = False) -> str:
    """'If any of these is true, do not start: call …' for a group's contact; ``number``: the clinic's phone or
    emergency number (the clinic profile), when known; ``held``: the programme is on hold (nothing to start)."""
    if contact is None:
        return gettext(RED_FLAGS_CALL_ANY_HELD if held else RED_FLAGS_CALL_ANY)
    if number:
        return gettext((RED_FLAGS_CALL_NUMBER_HELD if held else RED_FLAGS_CALL_NUMBER)[contact]).format(number=number)
    return gettext((RED_FLAGS_CALL_HELD if held else RED_FLAGS_CALL)[contact])


def triage_status(result: Any, gettext: Callable[[str], str] = str) -> str:
    """The triage as an interview shows it so far: not yet known while red flags are open (at least the level
    reached, when a rule raised it), else the level."""
    level = gettext(result.triage.name)
    if not result.open_red_flags:
        return gettext(TRIAGE_SO_FAR).format(level=level)
    if result.triage.reasons:
        return gettext(TRIAGE_AT_LEAST).format(level=level)
    return gettext(TRIAGE_NOT_YET_KNOWN)


def once_red_flags(level: str, flags: list[str], gettext: Callable[[str], str] = str, named: bool = True) -> str:
    """'Self-care at home, once 9 red flags are ruled out' (``named``: '…, once these red flags are ruled out:
    Leg weakness; Fever or feeling unwell')."""
    if named:
        return gettext(ONCE_THIS if len(flags) == 1 else ONCE_THESE).format(level=level, flags="; ".join(flags))
    if len(flags) == 1:
        return gettext(ONCE_RED_FLAG).format(level=level)
    return gettext(ONCE_RED_FLAGS).format(level=level, count=len(flags))


def red_flags_open(count: int, gettext: Callable[[str], str] = str) -> str:
    """'9 red flags open'."""
    return gettext(RED_FLAG_OPEN) if count == 1 else gettext(RED_FLAGS_OPEN).format(count=count)
