"""The result as a FHIR R4 Bundle (type ``collection``) for the clinic's record.

Every patient-specific resource has the subject (``fhir.parties``). The bundle holds:

* a **GuidanceResponse**: ``status`` (``data-requested`` while questions that
  could change the result are open, else ``success``), the ruleset versions as
  ``moduleCodeableConcept``, the triage level as ``reasonCode``, the patient's
  answers it rests on as ``reasonReference`` (R4 GuidanceResponse has no evidence
  element; reasonReference takes Observations), ``outputParameters`` pointing at
  a Parameters resource (triage, each red flag's DetectedIssue, causes with
  confidence and evidence, what to avoid), ``result`` pointing at the RequestGroup,
  the open questions as ``dataRequirement`` and the disclaimer as a note;
* the **Patient** (unless ``patient_reference`` names the EHR's own), a
  **Practitioner** for the ``clinician`` and an **Organization** for the ``clinic``;
* one **Observation** per answer, coded with the fact code system (``fhir.parties``);
* one **DetectedIssue** per triage level reached above self-care, severity by
  level, evidence the Observations its reasons read (``fhir.triage``);
* a **ServiceRequest** per referral, an emergency-department request at the most
  severe level (``fhir.triage``), and a ServiceRequest per exercise with its
  structured Timing and typed dose (``fhir.dose``);
* a **RequestGroup** (intent ``proposal``, status ``active``) with one action per
  item shown (the programme's, when the result has one), the exercises' and referrals'
  pointing at their ServiceRequests; left out when nothing is recommended, never empty;
* a **CarePlan** for the home programme, its period ending on the review date, its
  activities the chosen items; the alternatives are a note and ``alternative``
  parameters, never activities (``fhir.programme``).

No ``meta.profile`` is claimed: the published profiles that could apply (CPG on
FHIR's cpg-* profiles for GuidanceResponse, RequestGroup and ServiceRequest)
require elements this record does not carry (an instantiated PlanDefinition or
ActivityDefinition canonical, for one), and the record is checked only against
the base R4 models here, so claiming one would be a claim nobody has checked.

Every bundle is checked against the fhir.resources R4B models (the R4-compatible
ones) before it is returned, so an invalid bundle is an error, never an output.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timezone
from typing import Any, Mapping

from decision_core.i18n.wording import ruleset_ref

from decision_core.fhir.codes import (CAUSE_SYSTEM, FACT_SYSTEM, FOR_CAUSE_EXTENSION, KIND_SYSTEM, RECOMMENDATION_SYSTEM,
                         RULESET_SYSTEM, TRIAGE_SYSTEM, Entries, level_fhir, prune, ref)
from decision_core.fhir.dose import dose_extension, timing
from decision_core.fhir.parties import Parties, fact_observations
from decision_core.fhir.programme import alternative_parameters, care_plan
from decision_core.fhir.triage import EMERGENCY_DEPARTMENT, detected_issues, service_requests
from .formats import ReportOptionError, _view
from .view import ItemView, ReportView, as_result

log = logging.getLogger(__name__)

def _citations(view: ReportView, ids: list[str]) -> list[dict[str, Any]]:
    titles = {s.id: s for s in view.sources}
    out = []
    for sid in ids:
        s = titles.get(sid)
        display = s.title if s else sid
        out.append({"type": "citation", "label": sid, "display": display,
                    "citation": f"{display}. {s.publisher}." if s and s.publisher else display})
    return out


def _guidance(rec: Any) -> list[str]:
    """How to progress and when to stop, when the result has them (structured rulesets)."""
    out = []
    for name in ("progression", "stop_if"):
        value = getattr(rec, name, None)
        text = getattr(value, "text", None) or (value.get("text") if isinstance(value, Mapping) else None)
        if text:
            out.append(text.strip())
    return out


def _action(item: ItemView, view: ReportView, resource: dict[str, str] | None) -> dict[str, Any]:
    words = item.dose_text
    description = " ".join(p for p in (
        item.instructions,
        f"Dose: {words}." if words else "",
        item.detail,
        f"Helps with: {item.serves_text}." if item.serves else "",
    ) if p)
    return {
        "extension": [{"url": FOR_CAUSE_EXTENSION, "valueCoding": {"system": CAUSE_SYSTEM, "code": cid}}
                      for cid in item.serves_ids],
        "title": item.name,
        "description": description,
        "textEquivalent": f"{item.name}: {words}" if words else item.name,
        "code": [{"coding": [{"system": RECOMMENDATION_SYSTEM, "code": item.id, "display": item.name},
                             {"system": KIND_SYSTEM, "code": item.kind, "display": item.kind_label}]}],
        "timingTiming": timing(item.dose),
        "documentation": _citations(view, item.sources),
        "resource": resource,
    }


def _exercise_request(item: ItemView, rec, causes: Mapping[str, str], subject, author, stamp,
                      observations) -> dict[str, Any]:
    """An exercise as a ServiceRequest: its Timing as occurrenceTiming, its figures typed (fhir.dose)."""
    read: dict[str, Any] = {}
    for reason in rec.reasons if rec else ():
        read.update(reason.facts or {})
    words = item.dose_text
    return {
        "resourceType": "ServiceRequest",
        "extension": [dose_extension(item.dose)],
        "status": "active",
        "intent": "proposal",
        "priority": "routine",
        "code": {"coding": [{"system": RECOMMENDATION_SYSTEM, "code": item.id, "display": item.name},
                            {"system": KIND_SYSTEM, "code": item.kind}], "text": item.name},
        "subject": subject,
        "occurrenceTiming": timing(item.dose),
        "authoredOn": stamp,
        "requester": author,
        "reasonCode": [{"coding": [{"system": CAUSE_SYSTEM, "code": cid, "display": causes.get(cid)}],
                        "text": causes.get(cid)} for cid in item.serves_ids],
        "reasonReference": observations(read),
        "patientInstruction": " ".join(p for p in (item.instructions, f"Dose: {words}." if words else "",
                                                   item.detail, *_guidance(rec)) if p),
    }


def build_bundle(result: Any, view: ReportView, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    options = options or {}
    res = as_result(result)
    when = view.generated_at if view.generated_at.tzinfo else view.generated_at.replace(tzinfo=timezone.utc)
    stamp = when.isoformat(timespec="seconds")
    fact_system = options.get("fact_code_system") or FACT_SYSTEM
    levels = view.levels
    entries = Entries()
    guidance_id, outputs_id, plan_id = (str(uuid.uuid4()) for _ in range(3))
    entries.items.append((guidance_id, {}))  # placeholder: the GuidanceResponse leads the bundle
    parties = Parties(entries, options)
    subject = parties.subject
    answers = fact_observations(entries, res.facts, subject, stamp, fact_system, options.get("core"))

    def observations(facts: Mapping[str, Any] | None) -> list[dict[str, str]]:
        return [r for name in (facts or {}) for r in answers.get(name, ())]

    issues = detected_issues(entries, view, res, levels, subject, stamp, observations)
    requests = service_requests(entries, view, res, levels, subject, stamp, parties.author, issues, observations)
    level_concept = {"coding": [{"system": TRIAGE_SYSTEM, "code": view.level, "display": view.level_name}],
                     "text": view.level_name}

    recs = {r.id: r for r in res.recommendations}
    causes = {c.id: c.name for c in view.causes}
    actions = []
    exercise_requests: dict[str, dict[str, str]] = {}
    for item in view.do_now + view.exercises + view.other_advice:
        rec = recs.get(item.id)
        resource = requests.get(item.id)
        if item.kind == "exercise" and not view.acute:
            resource = entries.add(prune(_exercise_request(item, rec, causes, subject, parties.author, stamp,
                                                           observations)))
            exercise_requests[item.id] = resource
        actions.append(_action(item, view, resource))
    care_plan(entries, view, subject, parties.author, stamp, exercise_requests)
    if "" in requests:  # the emergency-department request the rulesets did not raise themselves
        actions.insert(0, {"title": EMERGENCY_DEPARTMENT, "description": view.advice, "resource": requests[""]})

    parameters: list[dict[str, Any]] = [{"name": "triage", "part": [
        {"name": "level", "valueCode": view.level},
        {"name": "name", "valueString": view.level_name},
        {"name": "advice", "valueString": view.advice},
    ]}]
    parameters += [{"name": "red_flag", "valueReference": issue} for issue in issues.values()]
    for c in view.causes:
        parameters.append({"name": "cause", "part": [
            {"name": "id", "valueCode": c.id},
            {"name": "name", "valueString": c.name},
            {"name": "rank", "valueInteger": c.rank},
            {"name": "confidence", "valueDecimal": round(c.confidence, 4)},
            {"name": "score", "valueDecimal": c.score},
            *({"name": "evidence", "valueString": ("against: " if e.against else "") +
               f"{e.because} (rule {e.rule}" + (f"; {e.facts_text}" if e.facts else "") + ")"} for e in c.evidence),
        ]})
    for a in view.avoid:
        parameters.append({"name": "avoid", "part": [
            {"name": "id", "valueCode": a.id}, {"name": "name", "valueString": a.name}, {"name": "why", "valueString": a.why},
        ]})
    if view.acute:
        # Withheld exercises are counted, not named: nothing here may read like a programme.
        parameters.append({"name": "exercises_withheld", "valueInteger": view.withheld_exercise_count})
    else:
        for w in view.withheld:
            parameters.append({"name": "withheld", "part": [
                {"name": "id", "valueCode": w.id}, {"name": "reason", "valueString": w.reason},
            ]})
    parameters += alternative_parameters(view)
    parameters.append({"name": "disclaimer", "valueString": view.disclaimer})
    entries.add({"resourceType": "Parameters", "parameter": parameters}, outputs_id)

    plan_notes = [{"text": view.advice}]
    if view.acute:
        plan_notes.append({"text": "Exercise programme on hold by the safety policy: "
                                   "no exercises until a professional has assessed the patient."})
    if actions:  # an empty RequestGroup would claim a plan that has nothing in it
        entries.add({
            "resourceType": "RequestGroup",
            "status": "active",
            "intent": "proposal",
            "priority": level_fhir(levels, view.level).priority,
            "code": level_concept,
            "subject": subject,
            "authoredOn": stamp,
            "author": parties.author,
            "note": plan_notes,
            "action": actions,
        }, plan_id)
    entries.items[0] = (guidance_id, {
        "resourceType": "GuidanceResponse",
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{guidance_id}"}],
        "moduleCodeableConcept": {
            "coding": [{"system": RULESET_SYSTEM, "code": r["id"], "version": str(r["version"]),
                        "display": f"{r['id']} {r['version']} ({r.get('kind', '')})"} for r in view.rulesets],
            "text": "decision-core rulesets: " + ", ".join(ruleset_ref(r["id"], r["version"]) for r in view.rulesets),
        },
        "status": "data-requested" if view.next_questions else "success",
        "subject": subject,
        "occurrenceDateTime": stamp,
        "reasonCode": [level_concept],
        "reasonReference": [r for refs in answers.values() for r in refs],
        "note": [{"text": f"{view.level_name}: {view.advice}"}, {"text": view.disclaimer}],
        "outputParameters": ref(outputs_id),
        "result": ref(plan_id) if actions else None,
        "dataRequirement": [{"type": "Observation", "codeFilter": [{"path": "code", "code": [
            {"system": fact_system, "code": q.fact, "display": q.question}]}]} for q in view.next_questions],
    })
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        # the record this result is kept under (decision_core.record), when it is kept
        "identifier": ({"system": RECORD_SYSTEM, "value": as_result(result).record_id}
                       if getattr(as_result(result), "record_id", None) else None),
        "timestamp": stamp,
        "entry": entries.bundle_entries(),
    }
    return prune(bundle)


RECORD_SYSTEM = "urn:hamstring-decision-core:record"


def validate_bundle(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)


def render_fhir(result: Any, **options: Any) -> str:
    """Options: ``patient_reference`` ('Patient/123'), ``patient`` (name, birth_date, identifier),
    ``clinician``, ``clinic``, ``doses`` (recommendation id -> Dose), ``fact_code_system``, and the
    view's (``generated_at``, ``title``, ``levels``, ``core``)."""
    patient = options.get("patient_reference")
    if patient is not None and not (isinstance(patient, str) and patient.strip()):
        raise ReportOptionError("patient_reference must be a reference such as 'Patient/123'")
    bundle = build_bundle(result, _view(as_result(result), options), options)
    validate_bundle(bundle)
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


__all__ = ["build_bundle", "render_fhir", "validate_bundle"]
