"""One result in words, in one language: what every reader reads (the CLI summary, the CDS card, the
terminal and SDC interviews' status, and the reports' view, which extends it with the handout's layout).

The layouts stay with each reader; the words are made here, from the result and the message catalogues:
a level's name, a cause's name and likelihood, a percentage, a dose, a kind, a value label, the programme's
headings and length, the red-flag calls, and whether the programme is on hold. The policy's decisions
(what is withheld, whether the programme is on hold) are read from the result, never worked out again.

It lives in ``i18n`` (the core's words layer), not in ``decision_core.presentation``: that package is the
bottom layer (the result and the evaluation name its codes), so it cannot read the dose or the catalogues.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from decision_core.catalogue.dose import Dose, dose_text
from decision_core.i18n import wording
from decision_core.presentation.phrases import N_
from decision_core.presentation.values import fact_label, fact_value

Gettext = Callable[[str], str]

# a cause's confidence in words: the first whose floor it reaches
LIKELIHOOD = (0.8, N_("very likely")), (0.65, N_("likely")), (0.0, N_("possible"))

# the frames the short forms (the CLI summary, the card) share
LIKELY_CAUSES = N_("Likely causes")
NO_CAUSE = N_("No single cause stands out from what is known.")
NONE_STANDS_OUT = N_("none stands out from what is known.")
CONFIDENCE = N_("confidence {percent}")
TRIAGE = N_("Triage: {level}.")
AVOID = N_("Avoid")
WORTH_ASKING = N_("Worth asking next")
ALTERNATIVES = N_("Alternatives")
ALTERNATIVES_NOT_CHOSEN = N_("Alternatives (not chosen; a dose on the report swaps one in)")
HEAD = N_("Hamstring tightness: {head}")
HEAD_WITH_REASON = N_("Hamstring tightness, {level}: {reason}")
HEAD_LIKELY = N_("{head}; likely {causes}")
HEAD_NO_CAUSE = N_("{head}; no single cause stands out yet")
BOTH = N_("{first} and {second}")


def _same(text: str) -> str:
    return text


def confidence_words(confidence: float, gettext: Gettext = _same) -> str:
    """'likely' for 0.7: a confidence in words."""
    return gettext(next(words for floor, words in LIKELIHOOD if confidence >= floor))


@dataclass(frozen=True)
class CauseWords:
    id: str  # for machines (a code column), never shown as a name
    name: str
    rank: int
    confidence: float
    likelihood: str  # 'likely'
    percent: str  # '72%'
    confidence_line: str  # 'confidence 72%'


class ResultWords:
    """``result`` in words: the result a person reads (already in the reader's language:
    :func:`decision_core.i18n.translations.translate_result`), its catalogue (names, labels, whom each red flag
    says to call) and ``gettext`` (the reader's language) for the words made here."""

    def __init__(self, result: Any, catalogue: Any = None, gettext: Gettext = _same):
        self.result, self.catalogue, self.gettext = result, catalogue, gettext

    # ------------------------------------------------------------ the policy's decision, as the result says it
    @property
    def on_hold(self) -> bool:
        return bool(self.result.programme_on_hold)

    # ------------------------------------------------------------ triage
    @property
    def level_name(self) -> str:
        return self.result.triage.name

    @property
    def banner(self) -> str:
        return wording.level_label(self.level_name)

    @property
    def triage_line(self) -> str:
        return self.gettext(TRIAGE).format(level=self.level_name)

    @property
    def triage_status(self) -> str:
        """As an interview shows it so far: not yet known while red flags are open."""
        return wording.triage_status(self.result, self.gettext)

    # ------------------------------------------------------------ causes
    def cause(self, cause) -> CauseWords:
        pct = wording.percent(cause.confidence)
        return CauseWords(cause.id, cause.name, cause.rank, cause.confidence,
                          confidence_words(cause.confidence, self.gettext), pct,
                          self.gettext(CONFIDENCE).format(percent=pct))

    @property
    def causes(self) -> list[CauseWords]:
        return [self.cause(c) for c in self.result.causes]

    def cause_names(self, ids) -> str:
        return wording.cause_names(ids, self.result, self.catalogue, self.gettext)

    def both(self, first: str, second: str) -> str:
        return self.gettext(BOTH).format(first=first, second=second)

    # ------------------------------------------------------------ items, doses, values
    def dose(self, dose: Dose) -> str:
        """The dose's figures in words ('3 sets of 12, every day')."""
        return dose_text(dose, self.gettext)

    def dose_phrase(self, dose: Dose, escape: Callable[[str], str] | None = None) -> str:
        """The figures, then the source's detail."""
        return wording.dose_phrase(dose, escape, self.gettext)

    def kind(self, kind: str) -> str:
        return wording.kind_label(kind, self.gettext)

    def value(self, fact: str, value: Any) -> str:
        return fact_value(fact, value, self.catalogue, self.gettext)

    def fact_label(self, fact: str) -> str:
        return fact_label(fact, self.catalogue, self.gettext)

    def word(self, message: str) -> str:
        """One of this module's frames (or any marked message) in the reader's language."""
        return self.gettext(message)

    # ------------------------------------------------------------ the programme
    @property
    def programme_heading(self) -> str:
        return wording.programme_heading(self.on_hold, self.gettext)

    def everyday_heading(self, on_hold: bool | None = None) -> str:
        return wording.everyday_heading(self.on_hold if on_hold is None else on_hold, self.gettext)

    def programme_length(self, weeks: int, review_in_weeks: int | None = None) -> str:
        return wording.programme_length(weeks, review_in_weeks or weeks, self.gettext)

    @property
    def starting_note(self) -> str:
        return wording.starting_dose_note(self.gettext)

    def alternatives_line(self, alternatives) -> str:
        names = {r.id: r.name for r in self.result.recommendations}
        return wording.alternatives_line(alternatives, names, self.catalogue, self.gettext)

    def not_chosen(self, code: str) -> str:
        return wording.not_chosen_reason(code, self.catalogue, self.gettext)

    # ------------------------------------------------------------ questions and red flags
    @property
    def questions_shown(self) -> list:
        return wording.questions_shown(self.result)

    def red_flag_calls(self, number_of: Callable[[str | None], str | None] | None = None) -> list[tuple[str | None, str, list]]:
        """The yes/no red flags by whom to call: [(contact, 'If any of these is true, … call …', questions)];
        ``number_of``: the clinic's number for a contact, when known."""
        groups, _ = wording.red_flag_checklist(self.result, self.catalogue)
        return [(contact, wording.red_flag_call(contact, self.gettext, number_of(contact) if number_of else None,
                                                held=self.on_hold), flags)
                for contact, flags in groups]

    @property
    def red_flags_also(self) -> tuple[str, list]:
        """('To rule them out, also answer: …', those questions); ('', []) when there are none."""
        _, others = wording.red_flag_checklist(self.result, self.catalogue)
        return (wording.red_flags_also(others, self.catalogue, self.gettext), others) if others else ("", [])

    def red_flag_names(self) -> list[str]:
        """The open red flags by their facts' labels (the question when the catalogue does not know it)."""
        facts = getattr(self.catalogue, "facts", {}) if self.catalogue is not None else {}
        return [self.fact_label(q.fact) if q.fact in facts and facts[q.fact].label else q.question
                for q in self.result.open_red_flags]

    @property
    def assessment_heading(self) -> str:
        return self.gettext(wording.ASSESSMENT_HEADING)
