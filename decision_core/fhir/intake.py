"""From a CDS Hooks request to intake facts (the mapping is documented in docs/http.md).

Three places, later ones winning for the same fact:

1. ``prefetch`` Observations coded with the fact code system (``CDS_FACT_CODE_SYSTEM``,
   code = fact name), or with one of the standard codes in ``STANDARD_CODES``;
2. ``prefetch`` QuestionnaireResponses whose item ``linkId`` is a fact name
   (Observations and QuestionnaireResponses together, oldest first, so the most
   recent answer wins); the red-flag screen's item (``red-flag-screen``) answers
   the red flags it lists as the Questionnaire says (decision_core.interview.screen: ticked
   true, "None of these" all false, unticked unknown); "None of these" beside a
   ticked red flag is refused (:class:`PrefetchError`), never guessed at;
3. ``context.extension["hamstring-decision-core.facts"]``: an object of fact names
   to values, given explicitly by the CDS client.

Values keep their JSON type; the intake validation then judges them exactly as
for the REST API, so a wrong type or range is a 422 naming the fact. Nothing is
guessed: an answer that is absent stays unknown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from decision_core.catalogue.loading import Catalogue
from decision_core.interview.screen import SCREEN_LINK_ID, read_screen, screen_facts

FACTS_EXTENSION = "hamstring-decision-core.facts"
YES_NO_CODES = {
    ("http://terminology.hl7.org/CodeSystem/v2-0136", "Y"): True,
    ("http://terminology.hl7.org/CodeSystem/v2-0136", "N"): False,
    ("http://loinc.org", "LA33-6"): True,
    ("http://loinc.org", "LA32-8"): False,
}
# Standard codes that mean one of our facts, so an EHR's own observations can be used as they are.
STANDARD_CODES = {
    ("http://loinc.org", "72514-3"): "pain_level",  # Pain severity - 0-10 verbal numeric rating [Score] - Reported
}
IGNORED_STATUSES = {"entered-in-error", "cancelled"}
LIST_TYPES = ("choices", "list")


@dataclass
class GatheredFacts:
    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # fact -> where it came from (never the value)

    def set(self, name: str, value: Any, source: str) -> None:
        self.facts[name] = value
        self.sources[name] = source


@dataclass(order=True)
class _Answer:
    when: float
    order: int
    name: str = field(compare=False)
    value: Any = field(compare=False)
    source: str = field(compare=False)


def _list(value: Any) -> list:
    """Prefetch is whatever the client sent: a member that should be a list and is not counts as absent."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _timestamp(text: Any) -> float:
    """A FHIR date/dateTime/instant as seconds; unknown or unreadable ones sort first."""
    if not isinstance(text, str) or not text:
        return -math.inf
    value = text.strip()
    if len(value) == 4:
        value += "-01-01"
    elif len(value) == 7:
        value += "-01"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return -math.inf
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _resources(prefetch: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    """(prefetch key, resource) for every resource, unpacking searchset Bundles."""
    for key, value in prefetch.items():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            for entry in _list(value.get("entry")):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(resource, dict):
                    yield key, resource
        else:
            yield key, value


def _codings(concept: Any) -> list[dict]:
    if not isinstance(concept, dict):
        return []
    return [c for c in _list(concept.get("coding")) if isinstance(c, dict)]


def _coded_value(codings: list[dict], fact_type: str | None, text: Any = None) -> Any:
    for coding in codings:
        key = (_str(coding.get("system")), _str(coding.get("code")))
        if fact_type == "bool" and key in YES_NO_CODES:
            return YES_NO_CODES[key]
    for coding in codings:
        if isinstance(coding.get("code"), str):
            return coding["code"]
    return text


def _observation_value(obs: dict, fact_type: str | None) -> Any:
    if "valueBoolean" in obs:
        return obs["valueBoolean"]
    if "valueInteger" in obs:
        return obs["valueInteger"]
    if isinstance(obs.get("valueQuantity"), dict) and "value" in obs["valueQuantity"]:
        return obs["valueQuantity"]["value"]
    if "valueString" in obs:
        return obs["valueString"]
    if isinstance(obs.get("valueCodeableConcept"), dict):
        concept = obs["valueCodeableConcept"]
        return _coded_value(_codings(concept), fact_type, concept.get("text"))
    return None


def _answer_value(answer: dict, fact_type: str | None) -> Any:
    for key in ("valueBoolean", "valueInteger", "valueDecimal", "valueString"):
        if key in answer:
            return answer[key]
    if isinstance(answer.get("valueCoding"), dict):
        return _coded_value([answer["valueCoding"]], fact_type)
    if isinstance(answer.get("valueQuantity"), dict) and "value" in answer["valueQuantity"]:
        return answer["valueQuantity"]["value"]
    return None


def _items(items: Any) -> Iterator[dict]:
    """Every item of a QuestionnaireResponse, groups and nested answers included."""
    for item in _list(items):
        if not isinstance(item, dict):
            continue
        yield item
        yield from _items(item.get("item"))
        for answer in _list(item.get("answer")):
            if isinstance(answer, dict):
                yield from _items(answer.get("item"))


def _canonical(url: Any) -> str | None:
    return url.split("|", 1)[0] if isinstance(url, str) else None


class PrefetchError(ValueError):
    """A prefetched resource that cannot be read; ``where`` names it."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(message)


class FactMapper:
    """Reads one catalogue's facts out of CDS Hooks requests."""

    def __init__(self, catalogue: Catalogue, code_system: str, questionnaire: str | None = None):
        self.catalogue = catalogue
        self.code_system = code_system
        self.questionnaire = _canonical(questionnaire)

    def _type(self, name: str) -> str | None:
        fact = self.catalogue.facts.get(name)
        return fact.type if fact else None

    def gather(self, context: dict[str, Any], prefetch: dict[str, Any] | None) -> GatheredFacts:
        out = GatheredFacts()
        answers: list[_Answer] = []
        list_obs: dict[str, _Answer] = {}
        order = 0
        for key, resource in _resources(prefetch or {}):
            kind = resource.get("resourceType")
            label = f"prefetch.{key} ({kind}/{resource.get('id', '?')})"
            if _str(resource.get("status")) in IGNORED_STATUSES:
                continue
            if kind == "Observation":
                name = self._observation_fact(resource)
                if name is None:
                    continue
                value = _observation_value(resource, self._type(name))
                if value is None:
                    continue  # no value (or a dataAbsentReason): the fact stays unknown
                when = _timestamp(resource.get("effectiveDateTime") or _dict(resource.get("effectivePeriod")).get("end")
                                  or resource.get("effectiveInstant") or resource.get("issued"))
                order += 1
                if self._type(name) in LIST_TYPES:
                    # each Observation carries one item of a list fact: collect them all
                    entry = list_obs.setdefault(name, _Answer(when, order, name, [], label))
                    items = value if isinstance(value, list) else [value]
                    entry.value.extend(v for v in items if v not in entry.value)
                    entry.when = max(entry.when, when)
                else:
                    answers.append(_Answer(when, order, name, value, label))
            elif kind == "QuestionnaireResponse":
                if self.questionnaire and _canonical(resource.get("questionnaire")) != self.questionnaire:
                    continue
                when = _timestamp(resource.get("authored"))
                for item in _items(resource.get("item")):
                    name = item.get("linkId")
                    if name == SCREEN_LINK_ID:
                        for fact, value in self._screen(item, f"prefetch.{key}").items():
                            order += 1
                            answers.append(_Answer(when, order, fact, value, f"{label} linkId {name}"))
                        continue
                    if not isinstance(name, str) or name not in self.catalogue.facts:
                        continue  # a questionnaire may hold questions that are not facts
                    values = [v for v in (_answer_value(a, self._type(name)) for a in _list(item.get("answer"))
                                          if isinstance(a, dict)) if v is not None]
                    if not values:
                        continue
                    value = values if self._type(name) in LIST_TYPES or len(values) > 1 else values[0]
                    order += 1
                    answers.append(_Answer(when, order, name, value, f"{label} linkId {name}"))
        answers.extend(list_obs.values())
        for answer in sorted(answers):
            out.set(answer.name, answer.value, answer.source)
        extension = context.get("extension")
        explicit = extension.get(FACTS_EXTENSION) if isinstance(extension, dict) else None
        if explicit is not None:
            if not isinstance(explicit, dict):
                raise ValueError(f"context.extension[{FACTS_EXTENSION!r}] must be an object of fact names to values")
            for name, value in explicit.items():
                out.set(name, value, f"context.extension[{FACTS_EXTENSION}]")
        return out

    def _screen(self, item: dict, where: str) -> dict[str, bool]:
        """The red flags the screen's item answers (unticked ones stay unknown)."""
        codes = [_str(_dict(a.get("valueCoding")).get("code")) for a in _list(item.get("answer")) if isinstance(a, dict)]
        try:
            return read_screen(screen_facts(self.catalogue), [c for c in codes if c])[0]
        except ValueError as exc:
            raise PrefetchError(where, f"linkId {SCREEN_LINK_ID!r}: {exc}") from None

    def _observation_fact(self, obs: dict) -> str | None:
        for coding in _codings(obs.get("code")):
            system, code = _str(coding.get("system")), _str(coding.get("code"))
            if system == self.code_system and code:
                return code  # an unknown code here is reported by the intake as an unknown fact
            if (system, code) in STANDARD_CODES and STANDARD_CODES[(system, code)] in self.catalogue.facts:
                return STANDARD_CODES[(system, code)]
        return None
