"""The practitioner's page (``GET /app``): the intake form built in the browser from the FHIR
Questionnaire, the result updated as answers change, the handout and the FHIR record.

The page and its scripts are public (they hold no patient data and no secret); every API call the
page makes carries the API key the user typed, as the REST API requires outside development.
Scripts and styles are files of this package served by this blueprint, so the page works offline
and under a CSP that allows nothing inline."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template, request, url_for

from .app import report_languages, state
from .errors import HttpProblem
from .openapi import PUBLIC, operation
from .security import API_KEY_HEADER

bp = Blueprint("practitioner", __name__, url_prefix="/app", static_folder="static", static_url_path="/static")

# Only this server's own files and API; nothing inline, no frames, no form posts elsewhere.
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@bp.get("")
@operation(summary="The practitioner's page: the intake form, the live result, the handout", tags=["meta"],
           security=PUBLIC,
           description="A page for a browser: the form is built from the Questionnaire, the result follows the "
                       "answers (POST /v1/evaluations). The page is public; outside development the API calls it "
                       "makes carry the API key typed into it (kept for the browser session only).",
           responses={200: ("An HTML page.", {"text/html": {"type": "string"}})})
def page():
    st = state()
    # The triage levels in the order the rulesets declare them (least to most severe): the page styles a
    # result by its level's position, never by the level's id.
    ordered = sorted(st.backend.catalogue.levels, key=lambda lv: lv.rank)
    levels = [level.id for level in ordered]
    # each level's sign as the triage ruleset declares it (the handout's too), and its sign while unconfirmed
    marks = {lv.id: {"mark": lv.presentation.mark, "unconfirmed": lv.presentation.mark_while_unconfirmed}
             for lv in ordered}
    # url_for: right behind a proxy that mounts the service under a prefix (TRUST_PROXY)
    settings = {"questionnaire": url_for("interview.questionnaire"), "evaluations": url_for("api.evaluations"),
                "reports": url_for("api.reports"), "levels": levels, "marks": marks,
                "figures": url_for("practitioner.figure", item_id="ITEM_ID").replace("ITEM_ID.svg", ""),
                "keyHeader": None if st.development else API_KEY_HEADER}
    if st.recorder is not None:  # results are kept: the page offers agree / override on each
        settings["verdicts"] = _verdict_settings()
    html = render_template("app.html", settings=json.dumps(settings), languages=_language_names())
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/figures/<item_id>.svg")
@operation(summary="An exercise's picture: its start and end position", tags=["meta"], security=PUBLIC,
           description="The SVG drawn from the exercise's figure in the rulesets, titled with its name in "
                       "?lang= (default en). 404 when the item is not an exercise with a picture.",
           responses={200: ("An SVG image.", {"image/svg+xml": {"type": "string"}})}, problems=(404, 422))
def figure(item_id: str):
    from decision_core.figures import MEDIA_TYPE, exercise_figure
    from decision_core.i18n.translations import UnknownLanguage, get_translator

    backend = state().backend
    rec = backend.catalogue.recommendations.get(item_id)
    if rec is None or rec.figure is None:
        raise HttpProblem(404, f"No exercise with a picture has the id '{item_id}'.", kind="not-found")
    lang = request.args.get("lang") or "en"
    try:
        name = get_translator(lang, backend.core).gettext(rec.name)
    except UnknownLanguage as exc:
        raise HttpProblem(422, f"lang: {exc}", kind="invalid-request", title="Invalid request") from None
    response = current_app.response_class(exercise_figure(backend.catalogue, item_id, name), mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _verdict_settings() -> dict:
    """Where the page sends a clinician's agree / override (RECORD_ID is replaced by the result's record id),
    and the coded override reasons, each with its label and the kinds of item it fits."""
    from decision_core.record.feedback import OVERRIDE_REASONS, REASONS_FOR

    return {"url": url_for("records.record_feedback", record_id="RECORD_ID"),
            "reasons": [{"code": code, "label": label, "for": [kind for kind, codes in REASONS_FOR.items()
                                                                if code in codes]}
                        for code, label in OVERRIDE_REASONS.items()]}


def _language_names() -> list[tuple[str, str]]:
    """The handout's languages, each named in itself (English first): the names come from the catalogues."""
    from decision_core.i18n.translations import language_name

    core = state().backend.core
    names = [(code, language_name(code, core)) for code in report_languages(core)]
    return sorted(names, key=lambda pair: (pair[0] != "en", pair[1]))
