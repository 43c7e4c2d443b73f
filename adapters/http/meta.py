"""About the service: health, the OpenAPI document and a readable API page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template

from decision_core import __version__

from . import schemas
from .app import state
from .openapi import PUBLIC, operation
from .payload import json_response

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
@operation(summary="Liveness and what is served", tags=["meta"], security=PUBLIC,
           description="Always 200 while the server answers, so load balancers keep routing; 'degraded' names "
                       "the plugins that failed to load and are left out of the catalogue, and a shared "
                       "service (redis) that cannot be reached.",
           responses={200: ("The server is up, with its rulesets loaded.", schemas.HealthSchema)})
def healthz():
    st = state()
    backend = st.backend
    failed = sorted(p.name for p in backend.plugins if p.status == "failed")
    # Redis down is the same on every instance: routing elsewhere would not help, so still 200
    unavailable = ["redis"] if st.store.unavailable() else []
    if st.recorder is not None and st.recorder.unavailable():  # records waiting in the spool for the database
        unavailable.append("record")
    health: dict[str, Any] = {"status": "degraded" if failed or unavailable else "ok", "version": __version__,
                              "engine": backend.engine, "catalogue": backend.catalogue.fingerprint()}
    if failed:
        health["failed_plugins"] = failed
    if unavailable:
        health["unavailable"] = unavailable
    return json_response(health)


@bp.get("/openapi.json")
@operation(summary="This OpenAPI document", tags=["meta"], security=PUBLIC,
           responses={200: ("OpenAPI 3.0 document.", {"application/json": {"type": "object"}})})
def openapi_json():
    response = json_response(state().spec(current_app._get_current_object()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/docs")
@operation(summary="The API, readable (rendered from the OpenAPI document)", tags=["meta"], security=PUBLIC,
           responses={200: ("An HTML page.", {"text/html": {"type": "string"}})})
def docs():
    spec = state().spec(current_app._get_current_object())
    response = current_app.response_class(render_template("api.html", page=api_page(spec)), mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/")
def index():
    return redirect("docs", code=302)


# ------------------------------------------------------------- the API page

METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


def _ref_name(schema: dict) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if ref else None


def type_text(schema: dict) -> dict[str, Any]:
    """A schema as words (and a link target when it is a reference)."""
    if not isinstance(schema, dict) or not schema:
        return {"text": "any JSON value", "ref": None}
    ref = _ref_name(schema)
    if ref:
        return {"text": ref, "ref": ref}
    kind = schema.get("type", "any")
    if kind == "array":
        inner = type_text(schema.get("items", {}))
        text = f"list of {inner['text']}"
        if "maxItems" in schema:
            text += f" (at most {schema['maxItems']})"
        return {"text": text, "ref": inner["ref"]}
    text = str(kind)
    if schema.get("format"):
        text += f" ({schema['format']})"
    if "enum" in schema:
        text += ": " + " | ".join("null" if v is None else str(v) for v in schema["enum"])
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None or high is not None:
        text += f", {'' if low is None else _num(low)}–{'' if high is None else _num(high)}"
    if "minLength" in schema or "maxLength" in schema:
        text += f", {schema.get('minLength', 0)}–{schema.get('maxLength', '')} characters"
    if schema.get("x-unit"):
        text += f" {schema['x-unit']}"
    if schema.get("nullable"):
        text += " or null"
    return {"text": text, "ref": None}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _properties(schema: dict) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in (schema.get("properties") or {}).items():
        rows.append({"name": name, "type": type_text(prop), "required": name in required,
                     "description": prop.get("description", ""), "question": prop.get("x-question"),
                     "red_flag": prop.get("x-red-flag", False)})
    return rows


def api_page(spec: dict[str, Any]) -> dict[str, Any]:
    security_labels = {"ApiKey": "API key", "BearerApiKey": "API key", "CdsJwt": "CDS Hooks JWT"}
    tags: dict[str, list] = {t["name"]: [] for t in spec.get("tags", [])}
    titles = {t["name"]: t.get("x-title", t["name"]) for t in spec.get("tags", [])}
    descriptions = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    for path, operations in spec.get("paths", {}).items():
        for method, op in sorted(operations.items(), key=lambda kv: METHOD_ORDER.get(kv[0], 9)):
            auth = sorted({security_labels.get(name, name) for req in op.get("security", []) for name in req})
            params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                       "type": type_text(p.get("schema", {})), "description": p.get("description", "")}
                      for p in op.get("parameters", [])]
            body = None
            if "requestBody" in op:
                media, content = next(iter(op["requestBody"]["content"].items()))
                body = {"media": media, "type": type_text(content.get("schema", {}))}
            responses = []
            for status, resp in op.get("responses", {}).items():
                media = [{"media": mt, "type": type_text(c.get("schema", {}))} for mt, c in resp.get("content", {}).items()]
                responses.append({"status": status, "description": resp.get("description", ""), "media": media})
            entry = {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                     "description": op.get("description", ""), "auth": " or ".join(auth) or "none",
                     "params": params, "body": body, "responses": responses,
                     "anchor": op.get("operationId", f"{method}-{path}")}
            for tag in op.get("tags", ["other"]):
                tags.setdefault(tag, []).append(entry)
    components = [{"name": name, "description": schema.get("description", ""), "properties": _properties(schema),
                   "open": schema.get("additionalProperties") is not False}
                  for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())]
    sections = [{"name": name, "title": titles.get(name, name), "description": descriptions.get(name, ""), "ops": ops}
                for name, ops in tags.items() if ops]
    return {"info": spec.get("info", {}), "version": spec.get("openapi"), "sections": sections,
            "components": components}
