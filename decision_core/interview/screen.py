"""The red-flag screen: one "Do you have any of these?" question before any other (docs/interview.md).

Which facts it lists is read from the catalogue, never written here: the yes/no
facts marked ``red_flag`` that are always asked (no ``enable_when``) and that a
rule raising the triage reads as ``is true`` (directly, or through a finding a
triage rule reads). A plugin's red flag joins the screen as soon as it is so.

As a FHIR item (:func:`decision_core.interview.questionnaire.screen_item`) it is a
``choice`` that repeats: one answer option per red flag (coded in the fact code
system, code = the fact), and "None of these", marked exclusive with the SDC
``questionnaire-optionExclusive`` extension.

What an answer means (:func:`read_screen`):

* a ticked option: that fact is true;
* "None of these": every listed fact is false;
* anything left unticked, or the screen left unanswered: unknown (never "no").
  The facts it lists count as asked: the interview does not ask them again.

"None of these" together with a ticked option (a form that does not honour
optionExclusive) reads as the ticked options only: a red flag's "yes" always
wins, and the rest stay unknown rather than "no".
"""
from __future__ import annotations

from typing import Any, Iterable

from decision_core.catalogue.loading import Catalogue
from decision_core.i18n.result_texts import N_
from decision_core.presentation.phrases import FRAMES, SCREEN_RAISES

SCREEN_LINK_ID = "red-flag-screen"  # not a fact name (fact names are words with underscores)
SCREEN_SYSTEM = "urn:hamstring-decision-core:red-flag-screen"
NONE_CODE = "none"
OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
SCREEN_TEXT = N_("Do you have any of these?")
SCREEN_LABEL = N_("Warning signs")
SCREEN_HELP = N_("Tick each one you have, or \u201cNone of these\u201d. Anything you leave unticked stays unknown.")
NONE_TEXT = N_("None of these")
SCREEN_WHY = FRAMES[SCREEN_RAISES]  # its phrase: decision_core.presentation.phrases.screen_raises


def _raising_findings(catalogue: Catalogue) -> set[str]:
    """The findings a triage rule reads (what a red flag may raise the triage through)."""
    return {c.subject for r in catalogue.rules if r.then.kind == "triage" for c in r.when if c.op == "finding"}


def screen_facts(catalogue: Catalogue) -> tuple[str, ...]:
    """The red flags the screen lists, in catalogue order."""
    findings = _raising_findings(catalogue)
    raising = {c.subject for r in catalogue.rules
               if r.then.kind == "triage" or (r.then.kind == "finding" and r.then.target in findings)
               for c in r.fact_conditions if c.op == "is_true"}
    return tuple(name for name, fact in catalogue.facts.items()
                 if fact.red_flag and fact.type == "bool" and not fact.enable_when and name in raising)


def read_screen(listed: Iterable[str], codes: Iterable[str]) -> tuple[dict[str, bool], list[str]]:
    """An answer to the screen (the codes ticked) as (facts, facts left unknown).

    "None of these" with a ticked fact reads as the ticked facts only; ValueError for a code it does not list."""
    listed, codes = tuple(listed), list(codes)
    unknown = [c for c in codes if c != NONE_CODE and c not in listed]
    if unknown:
        raise ValueError(f"not an option of the screen: {', '.join(map(str, unknown))} "
                         f"(its options: {', '.join(listed)}, {NONE_CODE}).")
    ticked = [name for name in listed if name in codes]
    if NONE_CODE in codes and not ticked:
        return {name: False for name in listed}, []
    # "None of these" beside a ticked option (a form that does not honour optionExclusive, as LHC-Forms 40
    # does not) contradicts itself: a red flag's "yes" always wins, and what was left unticked is not known
    # to be "no", so it stays unknown.
    return {name: True for name in ticked}, [name for name in listed if name not in ticked]


def screen_enable_when() -> dict[str, Any]:
    """The enableWhen of a listed fact's own question in the whole form: shown while the screen is unanswered."""
    return {"question": SCREEN_LINK_ID, "operator": "exists", "answerBoolean": False}


def screen_codes(listed: Iterable[str], facts: dict[str, Any]) -> list[str] | None:
    """What a patient with these facts ticks: the red flags that are true; "None of these" only when every
    listed one is known to be false; None (the screen left unanswered) when nothing is true and some are
    unknown. (A "no" to some red flags and not others is more than the screen can say: those stay unknown.)"""
    listed = tuple(listed)
    ticked = [name for name in listed if facts.get(name) is True]
    if ticked:
        return ticked
    if listed and all(facts.get(name) is False for name in listed):
        return [NONE_CODE]
    return None
