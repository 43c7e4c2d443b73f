"""The result as a FHIR R4 Bundle (type ``collection``) for the clinic's record:

* a **GuidanceResponse**: ``status`` (``data-requested`` while questions that
  could change the result are open, else ``success``), the ruleset versions as
  ``moduleCodeableConcept`` (one coding per ruleset, with its ``version``),
  ``outputParameters`` pointing at a Parameters resource (triage, causes with
  confidence and evidence, what to avoid), ``result`` pointing at the
  RequestGroup, ``reasonReference`` at the red flags, the open questions as
  ``dataRequirement`` and the disclaimer as a note;
* a **RequestGroup** (intent ``proposal``) with one action per recommendation,
  its dose in the description, a structured dose extension and a timing when
  the frequency is a plain one ("daily", "twice a week"), and its sources as
  documentation;
* one **DetectedIssue** per red flag (a triage reason at ``see_professional`` or
  worse): severity ``high`` for emergency and urgent, ``moderate`` for
  see_professional.

Every bundle is checked against the fhir.resources R4B models (the R4-compatible
ones) before it is returned, so an invalid bundle is an error, never an output.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import timezone
from typing import Any

from .formats import ReportOptionError, _view
from decision_core.dose import figure_texts

from .view import ItemView, ReportView

URN = "urn:decision-core"
RULESET_SYSTEM = f"{URN}:ruleset"
TRIAGE_SYSTEM = f"{URN}:triage-level"
CAUSE_SYSTEM = f"{URN}:cause"
RECOMMENDATION_SYSTEM = f"{URN}:recommendation"
KIND_SYSTEM = f"{URN}:recommendation-kind"
FACT_SYSTEM = f"{URN}:fact"
DOSE_EXTENSION = f"{URN}:fhir:dose"
FOR_CAUSE_EXTENSION = f"{URN}:fhir:for-cause"
PRIORITY = {"emergency": "stat", "urgent": "urgent"}

_TIMES = {"once": 1, "twice": 2, "three times": 3, "four times": 4}
_FREQUENCY = re.compile(
    r"^\s*(?:(?P<word>once|twice|three times|four times)|(?P<n>\d+)\s*(?:x|times))\s*(?:a|per|each)\s*(?P<unit>day|week)\s*$",
    re.IGNORECASE,
)


def timing_repeat(frequency: str) -> dict[str, Any] | None:
    """A Timing.repeat for plain frequencies ('daily', 'twice a week', '3 times a day'); None otherwise."""
    text = frequency.strip().lower()
    if text in ("daily", "every day", "once a day", "once daily"):
        return {"frequency": 1, "period": 1, "periodUnit": "d"}
    if text in ("twice daily", "twice a day"):
        return {"frequency": 2, "period": 1, "periodUnit": "d"}
    if text == "weekly":
        return {"frequency": 1, "period": 1, "periodUnit": "wk"}
    m = _FREQUENCY.match(text)
    if not m:
        return None
    count = _TIMES[m["word"]] if m["word"] else int(m["n"])
    return {"frequency": count, "period": 1, "periodUnit": "d" if m["unit"] == "day" else "wk"}


def _prune(value: Any) -> Any:
    """FHIR forbids empty strings, arrays and objects: drop them (and None) everywhere."""
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        out = [_prune(v) for v in value]
        return [v for v in out if v not in (None, "", [], {})]
    return value


def _ref(entry_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{entry_id}"}


def _citations(view: ReportView, ids: list[str]) -> list[dict[str, Any]]:
    titles = {s.id: s for s in view.sources}
    out = []
    for sid in ids:
        s = titles.get(sid)
        display = s.title if s else sid
        out.append({"type": "citation", "label": sid, "display": display,
                    "citation": f"{display}. {s.publisher}." if s and s.publisher else display})
    return out


def _action(item: ItemView, view: ReportView) -> dict[str, Any]:
    dose = item.dose_text
    description = " ".join(p for p in (
        item.instructions,
        f"Dose: {dose}." if dose else "",
        item.detail,
        f"Helps with: {item.serves_text}." if item.serves else "",
    ) if p)
    timing = None
    figures = figure_texts(item.dose)
    if "frequency" in figures:
        timing = {"code": {"text": figures["frequency"]}, "repeat": timing_repeat(figures["frequency"])}
    dose_parts = list(figures.items()) + [("detail", item.detail)]
    extensions = []
    if any(v for _k, v in dose_parts):
        extensions.append({"url": DOSE_EXTENSION,
                           "extension": [{"url": k, "valueString": v} for k, v in dose_parts if v]})
    extensions += [{"url": FOR_CAUSE_EXTENSION, "valueCoding": {"system": CAUSE_SYSTEM, "code": cid}}
                   for cid in item.serves_ids]
    return {
        "extension": extensions,
        "title": item.name,
        "description": description,
        "textEquivalent": f"{item.name}: {dose}" if dose else item.name,
        "code": [{"coding": [{"system": RECOMMENDATION_SYSTEM, "code": item.id, "display": item.name},
                             {"system": KIND_SYSTEM, "code": item.kind, "display": item.kind_label}]}],
        "timingTiming": timing,
        "documentation": _citations(view, item.sources),
    }


def build_bundle(view: ReportView, patient_reference: str | None = None) -> dict[str, Any]:
    when = view.generated_at if view.generated_at.tzinfo else view.generated_at.replace(tzinfo=timezone.utc)
    stamp = when.isoformat(timespec="seconds")
    ids = {name: str(uuid.uuid4()) for name in ("bundle", "guidance", "outputs", "plan")}
    subject = {"reference": patient_reference} if patient_reference else None
    level_concept = {"coding": [{"system": TRIAGE_SYSTEM, "code": view.level, "display": view.level_name}],
                     "text": view.level_label}

    issues = []
    for reason, level, severity in view.red_flags:
        issues.append((str(uuid.uuid4()), {
            "resourceType": "DetectedIssue",
            "status": "preliminary",
            "code": {"coding": [{"system": TRIAGE_SYSTEM, "code": level}], "text": f"Red flag: {level.replace('_', ' ')}"},
            "severity": severity,
            "patient": subject,
            "identifiedDateTime": stamp,
            "evidence": [{"code": [{"coding": [{"system": FACT_SYSTEM, "code": name, "display": f"{name} = {value}"}]}]}
                         for name, value in reason.facts],
            "detail": f"{reason.because} (rule {reason.rule}; sources {', '.join(reason.sources) or 'none'})",
            "reference": f"{URN}:rule:{reason.rule}",
            "mitigation": [{"action": {"text": view.advice}}],
        }))

    parameters: list[dict[str, Any]] = [{"name": "triage", "part": [
        {"name": "level", "valueCode": view.level},
        {"name": "name", "valueString": view.level_name},
        {"name": "advice", "valueString": view.advice},
    ]}]
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
    parameters.append({"name": "disclaimer", "valueString": view.disclaimer})

    recommendations = view.do_now + view.exercises + view.other_advice
    plan_notes = [{"text": view.advice}]
    if view.acute:
        plan_notes.append({"text": "Exercise programme on hold by the safety policy: "
                                   "no exercises until a professional has assessed the patient."})
    resources = [
        (ids["guidance"], {
            "resourceType": "GuidanceResponse",
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{ids['guidance']}"}],
            "moduleCodeableConcept": {
                "coding": [{"system": RULESET_SYSTEM, "code": r["id"], "version": str(r["version"]),
                            "display": f"{r['id']} {r['version']} ({r.get('kind', '')})"} for r in view.rulesets],
                "text": "decision-core rulesets: " + ", ".join(f"{r['id']}@{r['version']}" for r in view.rulesets),
            },
            "status": "data-requested" if view.next_questions else "success",
            "subject": subject,
            "occurrenceDateTime": stamp,
            "reasonCode": [level_concept],
            "reasonReference": [_ref(i) for i, _ in issues],
            "note": [{"text": f"Triage {view.level_label}: {view.advice}"}, {"text": view.disclaimer}],
            "outputParameters": _ref(ids["outputs"]),
            "result": _ref(ids["plan"]),
            "dataRequirement": [{"type": "Observation", "codeFilter": [{"path": "code", "code": [
                {"system": FACT_SYSTEM, "code": q.fact, "display": q.question}]}]} for q in view.next_questions],
        }),
        (ids["outputs"], {"resourceType": "Parameters", "parameter": parameters}),
        (ids["plan"], {
            "resourceType": "RequestGroup",
            "status": "active",
            "intent": "proposal",
            "priority": PRIORITY.get(view.level, "routine"),
            "code": level_concept,
            "subject": subject,
            "authoredOn": stamp,
            "note": plan_notes,
            "action": [_action(item, view) for item in recommendations],
        }),
        *issues,
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": ids["bundle"],
        "type": "collection",
        "timestamp": stamp,
        "entry": [{"fullUrl": f"urn:uuid:{rid}", "resource": dict(res, id=rid)} for rid, res in resources],
    }
    return _prune(bundle)


def validate_bundle(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)


def render_fhir(result: dict[str, Any], **options: Any) -> str:
    patient = options.get("patient_reference")
    if patient is not None and not (isinstance(patient, str) and patient.strip()):
        raise ReportOptionError("patient_reference must be a reference such as 'Patient/123'")
    bundle = build_bundle(_view(result, options), patient_reference=patient)
    validate_bundle(bundle)
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


__all__ = ["build_bundle", "render_fhir", "validate_bundle", "timing_repeat"]
