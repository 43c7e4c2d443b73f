"""The patient's programme in the FHIR bundle (issue 19 §1): a **CarePlan** for the home programme.

* ``period``: from the report's date to the review date (report date + the programme's
  ``review_in_weeks``; the clinic profile may set the length), so an EHR can book the review.
* ``activity``: one per chosen item, in the programme's order. An exercise points at its
  ServiceRequest (``activity.reference``: the request carries the Timing and the typed dose, see
  ``fhir.dose``); an everyday change, which has no request, is an inline ``activity.detail`` with its
  code and its dose in words. The phase ("Start with", "When that is easy") is the activity's
  ``progress`` note, since R4 has no element for a phase.
* an exercise with a picture carries it on its activity: an extension (``EXERCISE_FIGURE_EXTENSION``) whose
  ``valueAttachment`` is the SVG of its start and end position (``image/svg+xml``, base64, titled with its
  name), since R4's activity has no element for an image.
* the **alternatives** are not activities (a CarePlan activity is something planned): they are
  named in a note for a person, and as ``alternative`` parameters (id and the code why it was not
  chosen) in the bundle's Parameters for software, so a practitioner or a system can swap one in.

No CarePlan while the programme is on hold: nothing in the bundle may read like a programme then.
"""
from __future__ import annotations

import base64
from typing import Any

from decision_core.figures import MEDIA_TYPE
from decision_core.fhir.codes import EXERCISE_FIGURE_EXTENSION, KIND_SYSTEM, RECOMMENDATION_SYSTEM, Entries, prune


def alternative_parameters(view) -> list[dict[str, Any]]:
    if view.acute or view.programme is None:
        return []
    return [{"name": "alternative", "part": [{"name": "id", "valueCode": a.id}, {"name": "name", "valueString": a.name},
                                              {"name": "why", "valueCode": a.why_code or "not_chosen"},
                                              {"name": "why_text", "valueString": a.why}]}
            for a in view.programme.alternatives]


def care_plan(entries: Entries, view, subject, author, stamp: str, requests: dict[str, dict[str, str]]) -> dict | None:
    """Add the CarePlan of the programme and return its reference (None: no programme, or on hold)."""
    programme = view.programme
    if view.acute or programme is None or not (programme.phases or programme.lifestyle):
        return None
    activities = []
    for phase in programme.phases:
        for item in phase.items:
            activity: dict[str, Any] = {"progress": [{"text": f"Phase: {phase.name}"}] if phase.name else None}
            if item.id in requests:
                activity["reference"] = requests[item.id]
            else:
                activity["detail"] = _detail(item)
            if getattr(item, "picture", ""):
                activity["extension"] = [figure_extension(item.picture, item.name, view.lang)]
            activities.append(activity)
    for item in programme.lifestyle:
        activities.append({"detail": _detail(item)})
    notes = [{"text": view.advice}]
    if programme.alternatives:
        notes.append({"text": "Alternatives (allowed, not chosen; give one a dose to swap it in): " + "; ".join(
            f"{a.name} ({a.id}): {a.why}" for a in programme.alternatives)})
    period = {"start": view.header.prepared.date().isoformat()}
    if view.header.review_date is not None:
        period["end"] = view.header.review_date.isoformat()
    return entries.add(prune({
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "proposal",
        "title": "Home programme",
        "description": (f"{programme.weeks}-week home programme, review on {period['end']}"
                        if programme.weeks and "end" in period else "Home programme"),
        "subject": subject,
        "period": period,
        "created": stamp,
        "author": author,
        "activity": activities,
        "note": notes,
    }))


def figure_extension(svg: str, title: str, lang: str | None) -> dict[str, Any]:
    """An exercise's picture as an extension with a valueAttachment (the SVG, base64)."""
    return {"url": EXERCISE_FIGURE_EXTENSION, "valueAttachment": prune({
        "contentType": MEDIA_TYPE, "language": lang, "title": title,
        "data": base64.b64encode(svg.encode("utf-8")).decode("ascii")})}


def _detail(item) -> dict[str, Any]:
    return {
        "kind": "ServiceRequest",
        "code": {"coding": [{"system": RECOMMENDATION_SYSTEM, "code": item.id, "display": item.name},
                            {"system": KIND_SYSTEM, "code": item.kind}], "text": item.name},
        "status": "not-started",
        "description": " ".join(p for p in (item.instructions, f"Dose: {item.dose_text}." if item.dose_text else "")
                                if p),
    }


__all__ = ["care_plan", "alternative_parameters", "figure_extension"]
