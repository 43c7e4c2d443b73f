"""A triage ruleset with a fifth level: cards, every report format and FHIR show it from its
``presentation`` alone, with no code naming it (the adapters read what the rulesets declare)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from decision_core.adapters.http.backend import Backend

from test_cds import call, cards_of

MINI = Path(__file__).resolve().parent.parent / "fixtures" / "mini"
NEW = {"id": "same_day", "name": "See someone today",
       "advice": "Have it looked at today.",
       "presentation": {"acute": True, "card_indicator": "critical", "priority": "asap", "suggest_referral": True,
                        "fhir_severity": "high", "mark": "\u203c",
                        "colours": {"background": "#7b2cbf", "border": "#3c096c", "text": "#fff"}}}
FACTS = {"places": ["b"]}  # the fifth level's rule


@pytest.fixture(scope="module")
def five_level_backend(tmp_path_factory):
    folder = tmp_path_factory.mktemp("five-levels")
    shutil.copytree(MINI, folder, dirs_exist_ok=True)
    triage = yaml.safe_load((MINI / "triage.yaml").read_text(encoding="utf-8"))
    triage["levels"].insert(3, NEW)  # between urgent and emergency
    triage["rules"].append({"id": "mini_triage.place_b", "when": ["places includes b"], "then": "triage same_day",
                            "because": "Pain at b.", "sources": ["002"]})
    (folder / "triage.yaml").write_text(yaml.safe_dump(triage, allow_unicode=True), encoding="utf-8")
    return Backend.from_directories([folder], engine="plain")


@pytest.fixture
def client(make_app, five_level_backend):
    return make_app(backend=five_level_backend).test_client()


def test_the_fifth_level_is_reached(five_level_backend):
    assert [lv.id for lv in five_level_backend.catalogue.levels][3] == "same_day"
    assert five_level_backend.evaluator.evaluate(FACTS).triage.level == "same_day"


def test_the_card_shows_it_as_declared(client):
    (card,) = cards_of(client, call(FACTS))
    assert card["indicator"] == "critical"
    (suggestion,) = card["suggestions"]
    assert suggestion["label"] == "Refer for an assessment now" and suggestion["isRecommended"] is True
    assert suggestion["actions"][0]["resource"]["priority"] == "asap"


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_every_text_report_shows_its_name_and_mark(client, fmt):
    response = client.post(f"/v1/reports?format={fmt}", json=FACTS)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "\u203c" in body and ("See someone today" in body or "SEE SOMEONE TODAY" in body)
    if fmt == "html":
        assert 'class="triage triage-same_day' in body
        assert ".triage-same_day { background: #7b2cbf; border-color: #3c096c; color: #fff; }" in body


def test_the_pdf_renders(client):
    response = client.post("/v1/reports?format=pdf", json=FACTS)
    assert response.status_code == 200 and response.data.startswith(b"%PDF") and len(response.data) > 2000


def test_fhir_takes_its_severity_and_priority(client):
    response = client.post("/v1/reports?format=fhir", json=FACTS)
    assert response.status_code == 200
    bundle = json.loads(response.get_data(as_text=True))
    kinds = {}
    for entry in bundle["entry"]:
        kinds.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    (issue,) = kinds["DetectedIssue"]
    assert issue["severity"] == "high" and issue["code"]["coding"][0]["code"] == "same_day"
    assert {r["priority"] for r in kinds["ServiceRequest"]} == {"asap"}
    assert all(r.get("priority") == "asap" for r in kinds.get("RequestGroup", []))
