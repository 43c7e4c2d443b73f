"""SDC adaptive questionnaires: ``$next-question`` on a QuestionnaireResponse, with nothing kept between calls.

The request is a Parameters resource whose ``questionnaire-response`` parameter
holds the QuestionnaireResponse, or that QuestionnaireResponse alone. The
response carries a contained Questionnaire (``questionnaire: "#<id>"``) holding the
questions asked so far; each call:

1. reads the answers (:mod:`decision_core.interview.questionnaire_response`); a question the
   contained Questionnaire holds that the response leaves unanswered (no item, or
   an item with no ``answer``) is **skipped**: it stays unknown and is not asked again;
   the red-flag screen, once asked, closes every red flag it lists (ticked: true,
   "None of these": false, unticked or unanswered: skipped);
2. runs the interview's rule (:mod:`decision_core.interview.flow`);
3. returns the QuestionnaireResponse with the next question appended to the
   contained Questionnaire, and display items (``interview-triage``,
   ``interview-causes``, ``interview-status``) that say the triage and the likely
   causes so far; or, when the interview stops, ``status: completed`` and what
   ``finish`` adds (the HTTP adapter: the report link and the GuidanceResponse).

No Flask here: the HTTP adapter and tests call :func:`next_question`.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from decision_core.catalogue.loading import Catalogue
from decision_core.i18n.result_texts import N_
from decision_core.interview.flow import STOP_LEVEL, Interview, Step
from decision_core.interview.questionnaire import fact_item, questionnaire_header, screen_item
from decision_core.interview.questionnaire_response import STATUS_PREFIX, InvalidResponse, read_response
from decision_core.interview.screen import SCREEN_LINK_ID
from decision_core.i18n.result_words import ResultWords
from decision_core.i18n.wording import TRIAGE_SO_FAR

PARAMETER = "questionnaire-response"
ADAPTIVE_EXTENSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-questionnaireAdaptive"
CONTAINED_ID = "adaptive-intake"
TRIAGE_TEXT = TRIAGE_SO_FAR  # the words: decision_core.i18n.wording.triage_status
CAUSES_TEXT = N_("Likely causes so far: {causes}.")
NO_CAUSES_TEXT = N_("No likely cause stands out yet.")
STOPPED_LEVEL = N_("The interview stops here: {advice}")
STOPPED_SETTLED = N_("The interview is complete: no other question could change the triage or the likely causes.")


def questionnaire_response_of(body: Any) -> dict[str, Any]:
    """The QuestionnaireResponse of a $next-question request (Parameters, or the bare resource)."""
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        params = body.get("parameter")
        if not isinstance(params, list):
            raise InvalidResponse({"parameter": ["must be a list holding the 'questionnaire-response' parameter."]})
        found = [p for p in params if isinstance(p, dict) and p.get("name") == PARAMETER]
        if len(found) != 1 or not isinstance(found[0].get("resource"), dict):
            raise InvalidResponse({"parameter": [f"must hold exactly one '{PARAMETER}' parameter with the "
                                                 "QuestionnaireResponse as its resource."]})
        body = found[0]["resource"]
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        raise InvalidResponse({"resourceType": ["send a Parameters resource with a 'questionnaire-response' "
                                                "parameter, or a QuestionnaireResponse."]})
    return body


def _contained(qr: dict[str, Any]) -> tuple[list[dict], list[str]]:
    """The other contained resources, and the questions the contained Questionnaire asked (fact linkIds, in order)."""
    contained = qr.get("contained", [])
    if not isinstance(contained, list):
        raise InvalidResponse({"contained": ["must be a list of resources."]})
    reference = qr.get("questionnaire")
    wanted = reference[1:] if isinstance(reference, str) and reference.startswith("#") else None
    others, asked = [], []
    for i, resource in enumerate(contained):
        if not isinstance(resource, dict):
            raise InvalidResponse({f"contained[{i}]": ["must be a resource (a JSON object)."]})
        if resource.get("resourceType") == "Questionnaire" and (wanted is None or resource.get("id") == wanted):
            items = resource.get("item", [])
            if not isinstance(items, list):
                raise InvalidResponse({f"contained[{i}].item": ["must be a list of items."]})
            asked.extend(item["linkId"] for item in items if isinstance(item, dict)
                         and isinstance(item.get("linkId"), str) and not item["linkId"].startswith(STATUS_PREFIX))
        elif resource.get("resourceType") != "GuidanceResponse":
            others.append(resource)
    return others, asked


def next_question(body: Any, interview: Interview, translator: Any = None,
                  finish: Callable[[Step], tuple[list[dict], list[dict]]] | None = None) -> tuple[dict, Step]:
    """One $next-question call: the QuestionnaireResponse to return, and the interview's step.

    ``finish(step)``, on stopping, gives (extensions for the response, resources to contain).
    Raises InvalidResponse (the request) or InvalidFacts (an answer's value)."""
    catalogue: Catalogue = interview.catalogue
    qr = copy.deepcopy(questionnaire_response_of(body))
    others, asked = _contained(qr)
    answers = read_response(qr, catalogue)
    facts = interview.evaluator.validate(answers.facts)
    questions = set(catalogue.facts) | {SCREEN_LINK_ID}
    asked = [a for a in dict.fromkeys(asked + answers.asked) if a in questions]
    # the screen asked closes what it lists: left unticked (or the screen unanswered), a red flag is skipped
    screened = interview.screen if SCREEN_LINK_ID in asked else ()
    skipped = [a for a in dict.fromkeys([*asked, *screened]) if a in catalogue.facts and a not in facts]
    step = interview.next_step(facts, skipped)
    gettext = translator.gettext if translator is not None else (lambda text: text)
    unanswered = [name for name in asked if name not in facts]  # skipped (the screen: by its own item)

    if not step.done:
        asked.append(step.question.fact)
    questionnaire = {**questionnaire_header(catalogue, translator), "id": CONTAINED_ID,
                     "extension": [{"url": ADAPTIVE_EXTENSION, "valueBoolean": True}]}
    questionnaire["item"] = [screen_item(catalogue, gettext) if name == SCREEN_LINK_ID
                             else fact_item(catalogue.facts[name], gettext, catalogue) for name in asked]
    questionnaire["item"].extend(status_items(step, gettext))

    kept = [item for item in qr.get("item", []) if isinstance(item, dict) and item.get("linkId") in questions]
    present = {item["linkId"] for item in kept}
    kept.extend({"linkId": name} for name in unanswered if name not in present)  # a skip: an item with no answer
    order = {name: i for i, name in enumerate(asked)}
    kept.sort(key=lambda item: order.get(item["linkId"], len(order)))

    out: dict[str, Any] = {key: value for key, value in qr.items()
                           if key not in ("contained", "item", "status", "questionnaire", "extension")}
    extensions = [e for e in qr.get("extension", []) if isinstance(e, dict)] if isinstance(qr.get("extension"), list) else []
    contained = others + [questionnaire]
    if step.done and finish is not None:
        more_extensions, more_resources = finish(step)
        extensions.extend(more_extensions)
        contained.extend(more_resources)
    out.update(contained=contained, questionnaire="#" + CONTAINED_ID,
               status="completed" if step.done else "in-progress")
    if extensions:
        out["extension"] = extensions
    if kept:
        out["item"] = kept
    return {"resourceType": "QuestionnaireResponse", **{k: v for k, v in out.items() if k != "resourceType"}}, step


def status_items(step: Step, gettext: Callable[[str], str]) -> list[dict[str, Any]]:
    """Display items: the triage and the likely causes so far, and why the interview stopped."""
    result = step.result
    words = ResultWords(result, None, gettext)
    causes = ", ".join(gettext(c.name) for c in words.causes)
    # not yet known while red flags are open (the result says which: open_red_flags)
    items = [{"linkId": STATUS_PREFIX + "triage", "type": "display", "text": words.triage_status},
             {"linkId": STATUS_PREFIX + "causes", "type": "display",
              "text": gettext(CAUSES_TEXT).format(causes=causes) if causes else gettext(NO_CAUSES_TEXT)}]
    if step.done:
        text = (gettext(STOPPED_LEVEL).format(advice=gettext(result.triage.advice)) if step.reason == STOP_LEVEL
                else gettext(STOPPED_SETTLED))
        items.append({"linkId": STATUS_PREFIX + "status", "type": "display", "text": text})
    return items
