"""Reading a QuestionnaireResponse to the intake Questionnaire back into facts, strictly.

Each item whose ``linkId`` is a fact gives that fact's answer: ``valueBoolean``,
``valueInteger``, ``valueDecimal`` (or ``valueQuantity.value``), ``valueCoding``
(its ``code``; a system, when given, must be the fact's value system) or
``valueString``. A fact that repeats (choices, list) takes one answer per value.

**A skipped question** is an item with its ``linkId`` and no ``answer``: the fact
stays unknown, and an interview does not ask it again.

**The red-flag screen** (linkId ``red-flag-screen``, :mod:`decision_core.interview.screen`)
answers several facts at once: a ticked option (``valueCoding``, code = the fact)
is true, "None of these" makes each listed fact false, and what is left unticked
stays unknown (skipped: asked, not answered). Where answers about a red flag
disagree, its "yes" wins, as a red flag always does: "None of these" beside a
ticked option reads as the ticked ones (the rest stay unknown), and a fact's own
item and the screen that say otherwise than each other read as "yes".

Groups, help and display items (``group-*``, ``*.help``, ``interview-*``) are
read through, never as answers. Anything else wrong -- an item that is not a
question of the form, a value of the wrong type, two answers to a one-answer
question -- is an :class:`InvalidResponse` naming the item path and its linkId.
A question given twice counts as its later item. The values are then judged by the intake (types,
ranges, listed values) exactly as posted facts are.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from decision_core.catalogue.loading import Catalogue
from decision_core.intake import FACT_CODE_SYSTEM
from decision_core.interview.questionnaire import GROUP_PREFIX, HELP_SUFFIX, QUESTIONNAIRE_URL, value_system
from decision_core.interview.screen import NONE_CODE, SCREEN_LINK_ID, SCREEN_SYSTEM, read_screen, screen_facts

STATUS_PREFIX = "interview-"
VALUE_KEYS = ("valueBoolean", "valueInteger", "valueDecimal", "valueString", "valueCoding", "valueQuantity",
              "valueDate", "valueDateTime", "valueTime", "valueUri", "valueAttachment", "valueReference")
EXPECTED = {"bool": ("valueBoolean",), "int": ("valueInteger", "valueDecimal", "valueQuantity"),
            "number": ("valueDecimal", "valueInteger", "valueQuantity"), "choice": ("valueCoding", "valueString"),
            "choices": ("valueCoding", "valueString"), "list": ("valueString",)}
WORDS = {"bool": "a yes/no question: answer with valueBoolean", "int": "asks for a whole number (valueInteger)",
         "number": "asks for a number (valueDecimal)", "choice": "asks for one of its answer options (valueCoding)",
         "choices": "asks for some of its answer options (valueCoding, one answer each)",
         "list": "asks for words (valueString, one answer each)"}


class InvalidResponse(ValueError):
    """The QuestionnaireResponse cannot be read. ``errors`` maps each item path to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items())))


@dataclass
class Answers:
    facts: dict[str, Any] = field(default_factory=dict)  # fact -> raw value, for the intake to judge
    skipped: list[str] = field(default_factory=list)  # asked, and left unanswered
    paths: dict[str, str] = field(default_factory=dict)  # fact -> where its item is ("item[1].item[4]")
    asked: list[str] = field(default_factory=list)  # the question items given (facts, the screen), in order


def _is_structural(link_id: str) -> bool:
    return link_id.startswith((GROUP_PREFIX, STATUS_PREFIX)) or link_id.endswith(HELP_SUFFIX)


def read_response(qr: Any, catalogue: Catalogue, *, contained_ok: bool = True) -> Answers:
    """The answers of a QuestionnaireResponse (a dict): facts, skipped questions and item paths."""
    errors: dict[str, list[str]] = {}
    out = Answers()
    if not isinstance(qr, dict) or qr.get("resourceType") != "QuestionnaireResponse":
        raise InvalidResponse({"resourceType": ["must be a QuestionnaireResponse (a JSON object with "
                                                "resourceType 'QuestionnaireResponse')."]})
    questionnaire = qr.get("questionnaire")
    if questionnaire is not None:
        if not isinstance(questionnaire, str):
            errors["questionnaire"] = ["must be a canonical URL (a string)."]
        elif not (questionnaire.split("|", 1)[0] == QUESTIONNAIRE_URL or (contained_ok and questionnaire.startswith("#"))):
            errors["questionnaire"] = [f"this service reads answers to {QUESTIONNAIRE_URL}, not {questionnaire[:80]!r}."]
    items = qr.get("item", [])
    if not isinstance(items, list):
        errors["item"] = ["must be a list of items."]
        items = []
    screens: list[tuple[str, list]] = []
    _read_items(items, "item", catalogue, out, errors, screens)
    if screens and not errors:
        _apply_screen(*screens[-1], catalogue, out, errors)  # given twice: the later item counts
    if errors:
        raise InvalidResponse(errors)
    return out


def _apply_screen(where: str, answers: list, catalogue: Catalogue, out: Answers, errors: dict[str, list[str]]) -> None:
    """The screen's answers into facts; a fact's own item, when also given, must say the same."""
    listed = screen_facts(catalogue)
    codes = []
    for j, answer in enumerate(answers):
        place = f"{where}.answer[{j}]"
        coding = answer.get("valueCoding") if isinstance(answer, dict) else None
        if not isinstance(answer, dict) or list(k for k in answer if k.startswith("value")) != ["valueCoding"] \
                or not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
            errors[place] = [f"linkId {SCREEN_LINK_ID!r}: an answer is a valueCoding with a code: one of "
                             f"{', '.join(listed)}, or {NONE_CODE!r} (None of these)."]
            continue
        code, system = coding["code"], coding.get("system")
        expected = SCREEN_SYSTEM if code == NONE_CODE else FACT_CODE_SYSTEM
        if code != NONE_CODE and code not in listed:
            errors[f"{place}.valueCoding.code"] = [f"linkId {SCREEN_LINK_ID!r}: {code[:60]!r} is not one of its "
                                                   f"options ({', '.join(listed)}, {NONE_CODE})."]
        elif system is not None and system != expected:
            errors[f"{place}.valueCoding.system"] = [f"linkId {SCREEN_LINK_ID!r}: the code {code!r} is in {expected}, "
                                                     f"not {str(system)[:80]!r}."]
        else:
            codes.append(code)
    if errors:
        return
    facts, unknown = read_screen(listed, codes)
    for name, value in facts.items():
        if name in out.paths and name not in out.skipped and out.facts.get(name) != value:
            if value is True:  # the screen's "yes" wins over the fact's own "no": a red flag always wins
                out.facts[name] = True
            continue  # the fact's own "yes" wins over the screen's "None of these"
        if name not in out.paths or name in out.skipped:
            out.facts[name] = value
            out.paths[name] = where
            if name in out.skipped:
                out.skipped.remove(name)
    out.skipped.extend(name for name in unknown if name not in out.paths)


def _read_items(items: list, path: str, catalogue: Catalogue, out: Answers, errors: dict[str, list[str]],
                screens: list[tuple[str, list]]) -> None:
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(item, dict):
            errors[where] = ["must be an item (a JSON object with a linkId)."]
            continue
        link_id = item.get("linkId")
        if not isinstance(link_id, str) or not link_id:
            errors[f"{where}.linkId"] = ["every item needs a linkId (the fact name for a question)."]
            continue
        children = item.get("item", [])
        if not isinstance(children, list):
            errors[f"{where}.item"] = [f"linkId {link_id!r}: item must be a list."]
            children = []
        answers = item.get("answer", [])
        if not isinstance(answers, list):
            errors[f"{where}.answer"] = [f"linkId {link_id!r}: answer must be a list."]
            answers = []
        fact = catalogue.facts.get(link_id)
        if link_id == SCREEN_LINK_ID:
            screens.append((where, answers))
            out.asked.append(link_id)
            _read_items(children, f"{where}.item", catalogue, out, errors, screens)
            continue
        if fact is None:
            if not _is_structural(link_id):
                errors[f"{where}.linkId"] = [f"{link_id[:60]!r} is not a question of this questionnaire "
                                             "(the linkIds are the fact names)."]
            elif answers:
                errors[f"{where}.answer"] = [f"linkId {link_id!r} is a group or display item: it takes no answer."]
            _read_items(children, f"{where}.item", catalogue, out, errors, screens)
            continue
        # A question given twice: the later item counts (document order), as the most recent answer does in
        # CDS Hooks prefetch.
        out.paths[link_id] = where
        out.asked.append(link_id)
        out.facts.pop(link_id, None)
        if link_id in out.skipped:
            out.skipped.remove(link_id)
        values = []
        for j, answer in enumerate(answers):
            value = _answer(answer, f"{where}.answer[{j}]", link_id, fact, errors)
            if value is not None:
                values.append(value)
        if not answers:
            out.skipped.append(link_id)
        elif len(answers) > 1 and fact.type not in ("choices", "list"):
            errors[f"{where}.answer"] = [f"linkId {link_id!r} takes one answer, not {len(answers)}."]
        elif values and len(values) == len(answers):
            out.facts[link_id] = values if fact.type in ("choices", "list") else values[0]
        _read_items(children, f"{where}.item", catalogue, out, errors, screens)


def _answer(answer: Any, where: str, link_id: str, fact, errors: dict[str, list[str]]) -> Any:
    if not isinstance(answer, dict):
        errors[where] = [f"linkId {link_id!r}: an answer is a JSON object with one value[x]."]
        return None
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1:
        errors[where] = [f"linkId {link_id!r}: an answer needs exactly one value[x], found "
                         f"{', '.join(keys) if keys else 'none'}."]
        return None
    key = keys[0]
    value = answer[key]
    if key not in EXPECTED[fact.type]:
        errors[f"{where}.{key}"] = [f"linkId {link_id!r} {WORDS[fact.type]}, not {key}."]
        return None
    if key == "valueCoding":
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            errors[f"{where}.valueCoding"] = [f"linkId {link_id!r}: a Coding with a code (one of "
                                              f"{', '.join(fact.values)})."]
            return None
        system = value.get("system")
        if system is not None and system != value_system(fact.name):
            errors[f"{where}.valueCoding.system"] = [f"linkId {link_id!r}: codes are in {value_system(fact.name)}, "
                                                     f"not {str(system)[:80]!r}."]
            return None
        return value["code"]
    if key == "valueQuantity":
        if not isinstance(value, dict) or "value" not in value:
            errors[f"{where}.valueQuantity"] = [f"linkId {link_id!r}: a Quantity with a value."]
            return None
        return value["value"]
    if value is None:
        errors[f"{where}.{key}"] = [f"linkId {link_id!r}: {key} is null."]
    return value


def facts_to_items(facts: dict[str, Any], catalogue: Catalogue, skipped: list[str] = ()) -> list[dict[str, Any]]:
    """QuestionnaireResponse items (flat, in catalogue order) for facts, and empty ones for skipped questions."""
    out = []
    for name, fact in catalogue.facts.items():
        if name in facts:
            values = facts[name] if fact.type in ("choices", "list") else [facts[name]]
            out.append({"linkId": name, "answer": [answer_value(fact, v) for v in values]})
        elif name in skipped:
            out.append({"linkId": name})
    return out


def answer_value(fact, value: Any) -> dict[str, Any]:
    """One answer in the form the Questionnaire asks for."""
    if fact.type == "bool":
        return {"valueBoolean": value}
    if fact.type == "int":
        return {"valueInteger": int(value)}
    if fact.type == "number":
        return {"valueDecimal": value}
    if fact.type in ("choice", "choices"):
        return {"valueCoding": {"system": value_system(fact.name), "code": value}}
    return {"valueString": value}
