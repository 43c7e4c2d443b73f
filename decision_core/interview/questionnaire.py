"""The intake as a FHIR R4 Questionnaire (SDC conventions), generated from the fact catalogue.

Nothing here is written by hand: each fact of the catalogue (plugins' included)
is one item, ``linkId`` = the fact name, coded in the fact code system that the
CDS Hooks intake reads; items sit in the groups the facts rulesets declare
(``groups:``, a fact's ``group:``; facts without one come last, under "More
questions"); a fact's ``enable_when`` becomes ``enableWhen``; a choice fact's
``value_labels`` are its answer options' display text. A fact's ``help`` is a
child display item with the SDC ``help`` item control.

The first item is the red-flag screen (:mod:`decision_core.interview.screen`, :func:`screen_item`):
"Do you have any of these?", one option per yes/no red flag and an exclusive "None
of these"; the red flags' own items stay in their groups, shown while the screen
is unanswered.

Answers: ``valueBoolean`` (bool), ``valueInteger`` (int), ``valueDecimal``
(number), ``valueCoding`` with code = the value (choice; choices repeat) and
``valueString`` (list: one answer per word). Reading a QuestionnaireResponse back
is :mod:`decision_core.interview.questionnaire_response`.
"""
from __future__ import annotations

from typing import Any

from decision_core import __version__
from decision_core.catalogue.loading import Catalogue, Fact
from decision_core.catalogue.conditions import Condition
from decision_core.i18n.result_texts import N_
from decision_core.intake import FACT_CODE_SYSTEM
from decision_core.interview.screen import (NONE_CODE, NONE_TEXT, OPTION_EXCLUSIVE, SCREEN_HELP, SCREEN_LABEL, SCREEN_LINK_ID, SCREEN_SYSTEM,
                     SCREEN_TEXT, screen_enable_when, screen_facts)

QUESTIONNAIRE_ID = "hamstring-intake"
QUESTIONNAIRE_URL = f"urn:hamstring-decision-core:questionnaire:{QUESTIONNAIRE_ID}"
TITLE = N_("Hamstring tightness: intake questions")
MORE_QUESTIONS = N_("More questions")
GROUP_PREFIX = "group-"
HELP_SUFFIX = ".help"
RED_FLAG_EXTENSION = "urn:hamstring-decision-core:extension:red-flag"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
UNIT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
CHOICE_ORIENTATION = "http://hl7.org/fhir/StructureDefinition/questionnaire-choiceOrientation"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
UCUM = "http://unitsofmeasure.org"
UCUM_UNITS = {"years": "a", "months": "mo", "weeks": "wk", "days": "d", "hours": "h", "minutes": "min",
              "seconds": "s", "degrees": "deg", "kg": "kg", "cm": "cm"}
ITEM_TYPES = {"bool": "boolean", "int": "integer", "number": "decimal", "choice": "choice", "choices": "choice",
              "list": "string"}
ENABLE_OPERATORS = {"is_true": "=", "is_false": "=", "eq": "=", "ne": "!=", "includes": "=",
                    "gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def value_system(name: str, fact_system: str = FACT_CODE_SYSTEM) -> str:
    """The code system of one fact's listed values (as the FHIR report writes them)."""
    return f"{fact_system}:{name}" if fact_system.startswith("urn:") else f"{fact_system.rstrip('/')}/{name}"


def _identity(text: str) -> str:
    return text


def _words(text: str) -> str:
    return " ".join(text.split())


def _control(code: str, display: str) -> dict[str, Any]:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {
        "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": code, "display": display}]}}


def _help_item(link_id: str, text: str) -> dict[str, Any]:
    return {"linkId": link_id + HELP_SUFFIX, "type": "display", "text": text,
            "extension": [_control("help", "Help-Button")]}


def fact_item(fact: Fact, gettext=_identity, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """One fact as a Questionnaire item (help as a child display item)."""
    item: dict[str, Any] = {
        "linkId": fact.name,
        "code": [{"system": FACT_CODE_SYSTEM, "code": fact.name, "display": gettext(fact.label)}],
        "text": gettext(_words(fact.question)),
        "type": ITEM_TYPES[fact.type],
    }
    extensions: list[dict[str, Any]] = []
    if fact.red_flag:
        extensions.append({"url": RED_FLAG_EXTENSION, "valueBoolean": True})
    if fact.type in ("int", "number"):
        key = "valueInteger" if fact.type == "int" else "valueDecimal"
        for url, bound in ((MIN_VALUE, fact.min), (MAX_VALUE, fact.max)):
            if bound is not None:
                extensions.append({"url": url, key: int(bound) if fact.type == "int" else bound})
        if fact.unit:
            coding = {"display": gettext(fact.unit)}
            if fact.unit in UCUM_UNITS:
                coding.update(system=UCUM, code=UCUM_UNITS[fact.unit])
            extensions.append({"url": UNIT_EXTENSION, "valueCoding": coding})
    if extensions:
        item["extension"] = extensions
    if fact.type in ("choices", "list"):
        item["repeats"] = True
    if fact.values:
        system = value_system(fact.name)
        item["answerOption"] = [{"valueCoding": {"system": system, "code": v, "display": gettext(fact.value_label(v))}}
                                for v in fact.values]
    if fact.enable_when:
        item["enableWhen"] = [enable_when(c, catalogue.facts[c.subject] if catalogue else None) for c in fact.enable_when]
        if len(fact.enable_when) > 1:
            item["enableBehavior"] = "all"
    if fact.help:
        item["item"] = [_help_item(fact.name, gettext(_words(fact.help)))]
    return item


def screen_item(catalogue: Catalogue, gettext=_identity) -> dict[str, Any]:
    """The red-flag screen (decision_core.interview.screen) as an item: a repeating choice shown as check boxes, one option
    per red flag (code = the fact, in the fact code system), and an exclusive "None of these"."""
    options = [{"valueCoding": {"system": FACT_CODE_SYSTEM, "code": name,
                                "display": gettext(catalogue.facts[name].label)}}
               for name in screen_facts(catalogue)]
    options.append({"valueCoding": {"system": SCREEN_SYSTEM, "code": NONE_CODE, "display": gettext(NONE_TEXT)},
                    "extension": [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}]})
    return {"linkId": SCREEN_LINK_ID,
            "code": [{"system": SCREEN_SYSTEM, "code": SCREEN_LINK_ID, "display": gettext(SCREEN_LABEL)}],
            "text": gettext(SCREEN_TEXT), "type": "choice", "repeats": True,
            "extension": [{"url": RED_FLAG_EXTENSION, "valueBoolean": True}, _control("check-box", "Check-box"),
                          {"url": CHOICE_ORIENTATION, "valueCode": "vertical"}],
            "answerOption": options,
            "item": [_help_item(SCREEN_LINK_ID, gettext(SCREEN_HELP))]}


def enable_when(cond: Condition, fact: Fact | None) -> dict[str, Any]:
    """A catalogue condition on another fact as a FHIR enableWhen."""
    out: dict[str, Any] = {"question": cond.subject, "operator": ENABLE_OPERATORS[cond.op]}
    kind = fact.type if fact else None
    if cond.op in ("is_true", "is_false"):
        out["answerBoolean"] = cond.op == "is_true"
    elif kind in ("choice", "choices"):
        out["answerCoding"] = {"system": value_system(cond.subject), "code": cond.value}
    elif kind == "int":
        out["answerInteger"] = int(cond.value)
    elif kind == "number":
        out["answerDecimal"] = cond.value
    else:
        out["answerString"] = str(cond.value)
    return out


def groups_of(catalogue: Catalogue) -> list[tuple[str, str, list[Fact]]]:
    """(group id, title, facts) in form order; facts without a group last, under 'More questions'."""
    members: dict[str | None, list[Fact]] = {}
    for fact in catalogue.facts.values():
        members.setdefault(fact.group if fact.group in catalogue.groups else None, []).append(fact)
    out = [(g.id, g.title, members[g.id]) for g in catalogue.groups.values() if members.get(g.id)]
    if members.get(None):
        out.append(("more", MORE_QUESTIONS, members[None]))
    return out


def build_questionnaire(catalogue: Catalogue, translator: Any = None) -> dict[str, Any]:
    """The whole intake form as a Questionnaire resource (a dict), in the translator's language.

    The red-flag screen comes first; each red flag's own question stays in its group, shown only while the
    screen is unanswered (enableWhen: the screen has no answer), so a form filler asks each thing once."""
    gettext = translator.gettext if translator is not None else _identity
    screened = set(screen_facts(catalogue))

    def item(fact: Fact) -> dict[str, Any]:
        out = fact_item(fact, gettext, catalogue)
        if fact.name in screened:  # no enable_when of its own (a screened fact has none)
            out["enableWhen"] = [screen_enable_when()]
        return out

    items = [screen_item(catalogue, gettext)] if screened else []
    items += [{"linkId": GROUP_PREFIX + gid, "type": "group", "text": gettext(title),
               "item": [item(f) for f in facts]}
              for gid, title, facts in groups_of(catalogue)]
    return {**questionnaire_header(catalogue, translator), "item": items}


def questionnaire_header(catalogue: Catalogue, translator: Any = None) -> dict[str, Any]:
    """The Questionnaire's metadata, without items (the adaptive interview's contained Questionnaire starts so)."""
    gettext = translator.gettext if translator is not None else _identity
    lang = getattr(translator, "lang", None) or "en"
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "language": lang,
        "url": QUESTIONNAIRE_URL,
        "version": f"{__version__}+{catalogue.fingerprint()}",
        "name": "HamstringIntake",
        "title": gettext(TITLE),
        "status": "active",
        "subjectType": ["Patient"],
        "code": [{"system": FACT_CODE_SYSTEM, "code": "intake", "display": "Hamstring tightness intake"}],
    }


def item_count(catalogue: Catalogue) -> int:
    """How many questions the whole form has: one per fact, and the red-flag screen."""
    return len(catalogue.facts) + (1 if screen_facts(catalogue) else 0)
