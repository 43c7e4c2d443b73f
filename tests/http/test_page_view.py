"""The page's result in words (``POST /v1/evaluations?view=<lang>``): the result unchanged, its words added as
``view``, the same words the handout uses; an unknown language is a clear 400."""
from __future__ import annotations

import json

from decision_core.adapters.reports.view import build_view


def test_the_view_is_added_to_the_result_and_changes_nothing_else(make_app, installed_backend, shared_dir):
    client = make_app(backend=installed_backend).test_client()
    case = json.loads((shared_dir / "vignettes" / "public.json").read_text())["cases"][0]["facts"]
    plain = client.post("/v1/evaluations", json=case)
    worded = client.post("/v1/evaluations?view=es", json=case)
    assert plain.status_code == worded.status_code == 200
    assert "view" not in plain.json
    data = json.loads(worded.data)
    view = data.pop("view")
    assert data == plain.json == installed_backend.evaluator.evaluate(case).to_dict()
    handout = build_view(plain.json, lang="es", core=installed_backend.core)
    assert view["lang"] == "es" and view["triage"]["name"] == handout.level_name
    doses = {i.id: i.dose_text for i in handout.exercises}
    shown = {i["id"]: i["dose"] for phase in view["programme"]["phases"] for i in phase["items"]}
    assert shown == doses and any(shown.values()), "the page shows the doses the handout says"
    assert [q["why"] for q in view["next_questions"]] == [q.why for q in handout.next_questions]


def test_an_unknown_language_is_a_clear_400(make_app, installed_backend):
    client = make_app(backend=installed_backend).test_client()
    response = client.post("/v1/evaluations?view=xx", json={})
    assert response.status_code == 400
    assert list(response.json["errors"]) == ["view"] and "'xx'" in response.json["errors"]["view"][0]
