"""CDS Hooks 2.0: discovery, the services, and their feedback endpoints (``/cds-services``)."""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass

from flask import Blueprint, Response, g, request

from decision_core.intake import InvalidFacts
from decision_core.result.model import Result

from . import prefetch as fhir_prefetch
from . import cds_schemas
from .app import state
from .cards import build_card
from .errors import HttpProblem, invalid_facts, invalid_request
from decision_core.fhir.intake import FACTS_EXTENSION
from .openapi import CDS_SECURITY, operation
from .payload import json_response, load_with, read_json_body
from .record_hooks import card_uuids, keep, reserve

log = logging.getLogger("decision_core.adapters.http")

bp = Blueprint("cds", __name__, url_prefix="/cds-services")

# 503: every call claims its JWT's id in the state store, which may be a Redis that is down
CDS_PROBLEMS = (400, 401, 403, 404, 413, 415, 422, 503)
CALL_PROBLEMS = (400, 401, 403, 404, 412, 413, 415, 422, 503)  # 412: the intake data can be had neither way


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str


SERVICES = {s.id: s for s in (
    Service("hamstring-patient-view", "patient-view", "Hamstring tightness: triage and likely causes",
            "When a patient's record is opened: the triage level, the likely causes of hamstring tightness with "
            "their evidence, and the programme, from the patient's intake questionnaire and observations."),
    Service("hamstring-encounter-start", "encounter-start", "Hamstring tightness at the start of an encounter",
            "When an encounter starts: the same decision support, so red flags are seen before the visit begins."),
)}


def prefetch_templates() -> dict[str, str]:
    cfg = state().config
    questionnaire = "QuestionnaireResponse?subject={{context.patientId}}&_sort=-authored&_count=1"
    if cfg["CDS_QUESTIONNAIRE"]:
        questionnaire += f"&questionnaire={cfg['CDS_QUESTIONNAIRE']}"
    codes = f"{cfg['CDS_FACT_CODE_SYSTEM']}|,http://loinc.org|72514-3"
    return {"intakeResponse": questionnaire, "intakeObservations": f"Observation?subject={{{{context.patientId}}}}&code={codes}"}


@bp.before_request
def _authenticate():
    if request.method == "OPTIONS":
        return
    st = state()
    audiences = [st.public_url(request.path)]
    if request.path.endswith("/feedback"):
        audiences.append(st.public_url(request.path[: -len("/feedback")]))
    g.cds_claims = st.cds_auth.check(request, audiences)  # the record keeps who made a card (its issuer)


@bp.get("")
@operation(summary="CDS Hooks discovery", tags=["cds-hooks"], security=CDS_SECURITY,
           description="The services, their hooks and the FHIR data they ask the client to prefetch.",
           responses={200: ("The services.", cds_schemas.DiscoverySchema)}, problems=(401, 403, 503))
def discovery():
    prefetch = prefetch_templates()
    services = [{"hook": s.hook, "id": s.id, "title": s.title, "description": s.description, "prefetch": prefetch,
                 "usageRequirements": f"Send the intake answers as a QuestionnaireResponse (linkId = fact name), "
                                      f"Observations coded in {state().config['CDS_FACT_CODE_SYSTEM']} (code = fact "
                                      f"name), or context.extension['{FACTS_EXTENSION}']."}
                for s in SERVICES.values()]
    return json_response({"services": services})


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise HttpProblem(404, f"There is no CDS service '{service_id[:60]}' here (GET /cds-services lists them).")
    return service


_BASE_NAME = re.compile(r"^[^.\[]+")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@bp.post("/<service_id>")
@operation(summary="Call a CDS service", tags=["cds-hooks"], security=CDS_SECURITY, body=cds_schemas.CdsRequestSchema,
           description="Facts come from prefetch (QuestionnaireResponse, Observations) and "
                       f"context.extension['{FACTS_EXTENSION}']; see docs/http.md for the mapping. "
                       "Prefetch keys left out are fetched from fhirServer with fhirAuthorization; when the intake "
                       "data can be had neither way the answer is 412 naming the missing keys. "
                       "The answer is one card, or no cards when there is nothing to say.",
           responses={200: ("Cards.", cds_schemas.CdsResponseSchema)}, problems=CALL_PROBLEMS)
def call_service(service_id: str):
    st = state()
    service = _service(service_id)
    call = load_with(cds_schemas.CdsRequestSchema(), read_json_body(), "CDS Hooks request")
    if call["hook"] != service.hook:
        raise invalid_request({"hook": [f"This service answers the '{service.hook}' hook, not '{call['hook'][:40]}'."]},
                              "CDS Hooks request")
    prefetch = complete_prefetch(call, st.development, st.config["CDS_FHIR_SERVERS"])
    try:
        gathered = st.mapper.gather(call["context"], prefetch)
    except ValueError as exc:
        where = getattr(exc, "where", f"context.extension.{FACTS_EXTENSION}")  # a prefetched resource, or the facts
        raise invalid_request({where: [str(exc)]}, "CDS Hooks request") from None
    if not gathered.facts:
        return json_response({"cards": []})
    evaluator = st.backend.evaluator
    try:
        facts = evaluator.validate(gathered.facts)
    except InvalidFacts as exc:
        sources = {}
        for name in exc.errors:
            base = _BASE_NAME.match(name)
            if base and base.group(0) in gathered.sources:
                sources[name] = gathered.sources[base.group(0)]
        raise invalid_facts(exc, fact_sources=sources) from None
    result = evaluator.evaluate_valid(facts)
    if _nothing_to_say(result):
        return json_response({"cards": []})
    reserve(result)  # the record id goes into the card and the report behind its link
    # The report behind the card's link is about the request's patient: its FHIR subject is Patient/<patientId>.
    stored = {"result": result.to_dict(), "options": report_options(call["context"], st.config)}
    report_url = st.public_url(f"/v1/reports/{st.store.put_report(stored)}")
    source = {"label": st.config["CDS_SOURCE_LABEL"], "url": st.config["CDS_SOURCE_URL"] or st.public_url("/docs")}
    shown = evaluator.catalogue.shown_level(result.triage.level).presentation
    card = build_card(result, call["context"], source, report_url, shown, evaluator.catalogue)
    keep(result, "cds", patient_ref=_patient_ref(call["context"]), cards=card_uuids(card))
    return json_response({"cards": [card]})


def _patient_ref(context: dict) -> str | None:
    """The record's patient reference for a hook call: 'Patient/<patientId>' (the EHR's id)."""
    return patient_reference(context)


def complete_prefetch(call: dict, development: bool, servers: list[str] = ()) -> dict:
    """The request's prefetch with the declared keys it left out fetched from its FHIR server.

    412 when a fetch was tried and failed, or when nothing was fetched and the request holds no intake data at all
    (no prefetch key, not even null, and no facts in the context extension). A key sent as null is the client
    saying there is no data: that is an answer, and not refetched.
    """
    prefetch = dict(call.get("prefetch") or {})
    missing = [key for key in prefetch_templates() if key not in prefetch]
    if not missing:
        return prefetch
    server, authorization = call.get("fhirServer"), call.get("fhirAuthorization")
    token = authorization.get("access_token") if isinstance(authorization, dict) else None
    reason = None
    if server and token:
        if not fhir_prefetch.server_allowed(server, development, servers):
            reason = ("its fhirServer is not one this service fetches from ("
                      + ("CDS_FHIR_SERVERS" if servers else "https only"
                         + (", or http://127.0.0.1 in development" if development else "")) + ")")
        else:
            templates = prefetch_templates()
            failed = []
            for key in missing:
                query = fhir_prefetch.fill(templates[key], call["context"])
                resource = fhir_prefetch.fetch(server, query, token) if query is not None else None
                if resource is None:
                    failed.append(key)
                else:
                    prefetch[key] = resource
            if not failed:
                return prefetch
            missing, reason = failed, "fetching them from its fhirServer failed"
    elif _context_facts(call["context"]) or prefetch:
        return prefetch  # intake data was sent; the keys left out are taken as no data
    else:
        reason = "it holds no fhirServer and fhirAuthorization to fetch them with"
    names = ", ".join(missing)
    raise HttpProblem(412, f"The intake data could not be had: the request leaves out the prefetch {names}, and {reason}. "
                       "Send them as prefetch (null when there is no data), or send fhirServer and fhirAuthorization.",
                  kind="prefetch-unavailable", title="Prefetch unavailable", missing_prefetch=missing)


def _context_facts(context: dict) -> bool:
    extension = context.get("extension")
    return isinstance(extension, dict) and extension.get(FACTS_EXTENSION) not in (None, {}, [])


def patient_reference(context: dict) -> str | None:
    """'Patient/<patientId>' from the hook context; None when absent or not a FHIR id."""
    patient = context.get("patientId")
    if not isinstance(patient, str) or not patient:
        return None
    if not _FHIR_ID.fullmatch(patient):
        log.warning("context.patientId is not a FHIR id: the report has no patient reference")
        return None
    return f"Patient/{patient}"


def report_options(context: dict, config) -> dict:
    """The report options a CDS request fixes for the report behind its card: the subject and the fact code system."""
    options = {"fact_code_system": config["CDS_FACT_CODE_SYSTEM"]}
    reference = patient_reference(context)
    if reference:
        options["patient_reference"] = reference
    return options


def _nothing_to_say(result: Result) -> bool:
    # Open safety questions alone make no card: no card is no claim, and every partial intake would raise one.
    return not result.triage.reasons and not result.causes and not result.recommendations and not result.avoid


@bp.post("/<service_id>/feedback")
@operation(summary="Feedback on a card", tags=["cds-hooks"], security=CDS_SECURITY, body=cds_schemas.FeedbackSchema,
           description="Each entry is stored against the record behind its card (outcome, override reason and "
                       "comment, accepted suggestions); a card uuid this service did not make (or not for this "
                       "client) is a 404 and nothing is stored. Without a record: counted in the log only.",
           responses={200: ("Received.", None)}, problems=CDS_PROBLEMS)
def feedback(service_id: str):
    service = _service(service_id)
    data = load_with(cds_schemas.FeedbackSchema(), read_json_body(), "feedback")
    if state().recorder is not None:
        from .records import store_card_feedback

        store_card_feedback(data["feedback"])
    outcomes = Counter(item["outcome"] for item in data["feedback"])
    log.info("feedback for %s: %s", service.id, ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    response = Response(b"", status=200)
    del response.headers["Content-Type"]
    return response
