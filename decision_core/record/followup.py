"""The follow-up questionnaire: how the patient did (FHIR R4 Questionnaire, SDC style).

Its questions are facts of their own, made into items and read back by the same SDC machinery
as the intake (``decision_core.interview.questionnaire.fact_item``, ``questionnaire_response.read_response``):
the Global Rating of Change (-7..+7), the pain numeric rating (0-10), adherence to the
programme (all, some, none) and a free comment.
"""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from decision_core.catalogue.model import Fact
from decision_core.interview.questionnaire import fact_item, value_system
from decision_core.interview.questionnaire_response import InvalidResponse, read_response

FOLLOW_UP_ID = "hamstring-follow-up"
FOLLOW_UP_URL = f"urn:hamstring-decision-core:questionnaire:{FOLLOW_UP_ID}"
IMPROVED_GROC = 2  # a GROC of +2 or more counts as improved
ADHERENCE = ("all", "some", "none")
COMMENT_MAX = 1000

QUESTIONS = (
    Fact("groc", "int", "Global rating of change",
         "Overall, how have your hamstrings changed since the assessment? From -7 (a very great deal worse) "
         "through 0 (about the same) to +7 (a very great deal better).", "follow-up", min=-7, max=7),
    Fact("pain", "int", "Pain now", "How bad is the pain now, from 0 (none) to 10 (the worst imaginable)?",
         "follow-up", min=0, max=10),
    Fact("adherence", "choice", "Programme done",
         "How much of the programme did you do?", "follow-up", values=ADHERENCE,
         value_labels=(("all", "All of it"), ("some", "Some of it"), ("none", "None of it"))),
)
_FACTS = {f.name: f for f in QUESTIONS}


def build_follow_up_questionnaire() -> dict[str, Any]:
    items = [fact_item(f) for f in QUESTIONS]
    items[0]["required"] = True
    items.append({"linkId": "comment", "text": "Anything else you would like to tell us?", "type": "text"})
    return {"resourceType": "Questionnaire", "id": FOLLOW_UP_ID, "url": FOLLOW_UP_URL, "status": "active",
            "name": "HamstringFollowUp", "title": "Hamstring tightness: follow-up", "item": items}


class InvalidFollowUp(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(errors))
        self.errors = errors


def check_follow_up(data: dict[str, Any]) -> dict[str, Any]:
    """A follow-up {groc, pain, adherence, comment} checked; InvalidFollowUp naming each bad field."""
    errors: dict[str, list[str]] = {}
    for name in ("groc", "pain"):
        fact, value = _FACTS[name], data.get(name)
        if value is None:
            if name == "groc":
                errors[name] = ["required: the Global Rating of Change, a whole number from -7 to 7."]
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not fact.min <= value <= fact.max:
            errors[name] = [f"a whole number from {int(fact.min)} to {int(fact.max)}."]
    if data.get("adherence") is not None and data["adherence"] not in ADHERENCE:
        errors["adherence"] = [f"one of {', '.join(ADHERENCE)}."]
    comment = data.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > COMMENT_MAX):
        errors["comment"] = [f"text of at most {COMMENT_MAX} characters."]
    if errors:
        raise InvalidFollowUp(errors)
    return {"groc": data["groc"], "pain": data.get("pain"), "adherence": data.get("adherence"), "comment": comment}


def read_follow_up_response(qr: Any) -> dict[str, Any]:
    """A QuestionnaireResponse to the follow-up questionnaire as {groc, pain, adherence, comment}."""
    if not isinstance(qr, dict):
        raise InvalidFollowUp({"resourceType": ["a QuestionnaireResponse."]})
    questionnaire = qr.get("questionnaire")
    if questionnaire is not None and (not isinstance(questionnaire, str)
                                      or questionnaire.split("|", 1)[0] != FOLLOW_UP_URL):
        raise InvalidFollowUp({"questionnaire": [f"this reads answers to {FOLLOW_UP_URL}."]})
    items = qr.get("item") if isinstance(qr.get("item"), list) else []
    comment = None
    rest = []
    for item in items:
        if isinstance(item, dict) and item.get("linkId") == "comment":
            answers = item.get("answer") or [{}]
            comment = answers[0].get("valueString") if isinstance(answers[0], dict) else None
        else:
            rest.append(item)
    try:
        answers = read_response({**qr, "questionnaire": None, "item": rest}, SimpleNamespace(facts=_FACTS))
    except InvalidResponse as exc:
        raise InvalidFollowUp(exc.errors) from None
    return check_follow_up({**answers.facts, "comment": comment})


def follow_up_row(record_id: str, data: dict[str, Any], answered_at: datetime | None = None) -> dict[str, Any]:
    return {"record_id": record_id, **data, "answered_at": answered_at or datetime.now(timezone.utc)}


__all__ = ["ADHERENCE", "FOLLOW_UP_URL", "IMPROVED_GROC", "InvalidFollowUp", "build_follow_up_questionnaire",
           "check_follow_up", "follow_up_row", "read_follow_up_response", "value_system"]
