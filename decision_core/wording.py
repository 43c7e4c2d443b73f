"""How a result is put into words for people: the phrases the CLI summary (``summary``), the
CDS card (``adapters/http/cards``) and the reports (``adapters/reports``) share, so that a dose,
a triage level or a confidence reads the same wherever it is shown.

The layouts stay with each target (a terminal, a card's markdown, the report templates); the
escaping is in ``markdown`` (and Jinja's autoescape for HTML); a dose's figures become words
in ``dose.dose_text`` alone.
"""
from __future__ import annotations

from typing import Any, Callable

from .dose import Dose, dose_text
from .i18n_result import N_

# The short forms (the CLI summary, a card) list the first few questions worth asking; a report lists all.
QUESTIONS_SHOWN = 5


def dose_phrase(dose: Dose, escape: Callable[[str], str] | None = None, gettext: Callable[[str], str] = str) -> str:
    """The dose in words, then the source's detail: '3 sets, 12 reps, every day; slowly' ('' when
    it has neither). ``escape`` is applied to each part (a card's markdown)."""
    parts = (part for part in (dose_text(dose, gettext), dose.detail) if part)
    return "; ".join(escape(part) for part in parts) if escape else "; ".join(parts)


def level_label(level_id: str) -> str:
    """A triage level id as a banner shows it: 'see_professional' -> 'SEE PROFESSIONAL'."""
    return level_id.replace("_", " ").upper()


def percent(fraction: float) -> str:
    """A confidence as a whole percentage: 0.72 -> '72%'."""
    return f"{fraction:.0%}"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


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


# Why an allowed item was not chosen for the programme (decision_core.prescription's codes); a fit rule's
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
