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


def programme_heading(on_hold: bool) -> str:
    """What the recommendations are called: while the safety policy holds the programme, they are
    what to do now (a referral, self-care), not a programme."""
    return "What to do now" if on_hold else "Programme"


def questions_shown(result: Any) -> list:
    """The next questions a short form lists (the first ``QUESTIONS_SHOWN``)."""
    return result.next_questions[:QUESTIONS_SHOWN]


def ruleset_ref(ruleset_id: str, version: str) -> str:
    """A ruleset and its version in one token: 'triage@1.2.0'."""
    return f"{ruleset_id}@{version}"
