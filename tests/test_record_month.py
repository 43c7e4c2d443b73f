"""A generated clinic month (benchmarks/clinic_month.py, small): the report names the rule the
feedback is skewed against first, lint --record flags it, and replay against a catalogue without
that rule lists exactly the records it changes; the HTML report's charts render in Chromium."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from decision_core.catalogue.loading import builtin_rulesets_dir, load_builtin_catalogue, load_catalogue
from decision_core.cli.main import main
from decision_core.evaluation.evaluator import Evaluator
from decision_core.record import models as m
from decision_core.record.replay import replay
from decision_core.record.store import RecordStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from clinic_month import generate_month  # noqa: E402

EVALUATIONS = 400


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('month')}/record.sqlite3"
    made = generate_month(url, EVALUATIONS, seed=7)
    return url, made


def _without_rule(rule_id: str, folder: Path) -> Path:
    shutil.copytree(builtin_rulesets_dir(), folder)
    for path in folder.rglob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and any(r.get("id") == rule_id for r in doc.get("rules") or []):
            doc["rules"] = [r for r in doc["rules"] if r.get("id") != rule_id]
            path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
            return folder
    raise AssertionError(f"rule {rule_id} not found")


def test_report_names_the_skewed_rule_first(month):
    url, made = month
    result = CliRunner().invoke(main, ["record", "report", "--database", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["records"] == EVALUATIONS
    first = data["rules"][0]
    assert first["id"] == made["target_rule"]
    assert first["override_rate"] > 0.4 and first["file"].endswith(".yaml")
    assert first["reasons"]["disagree-cause"] == first["overridden"]
    # small counts stay small: no rate over 3 responses or fewer
    assert all(r["override_rate"] is None for r in data["rules"] if 0 < r["responses"] <= 3)
    markdown = CliRunner().invoke(main, ["record", "report", "--database", url]).output
    assert markdown.index(made["target_rule"]) < markdown.index("| ", markdown.index("## Rules") + 200)


def test_lint_record_flags_the_rule_with_its_file(month):
    url, made = month
    result = CliRunner().invoke(main, ["lint", "--record", url, "--json"])
    data = json.loads(result.output)
    flagged = [i for i in data["issues"] if i["code"] == "record-overridden"]
    assert [i["rule"] for i in flagged] == [made["target_rule"]]
    assert flagged[0]["file"] == "rulesets/causes/prolonged_sitting.yaml" or flagged[0]["file"].endswith(".yaml")


def test_replay_without_the_rule_lists_exactly_the_affected_records(month, tmp_path):
    url, made = month
    store = RecordStore(url)
    fired = {r["id"] for r in store.rows(m.records) if made["target_rule"] in r["fired_rules"]}
    candidate = Evaluator(load_catalogue([(_without_rule(made["target_rule"], tmp_path / "candidate"), "candidate")]),
                          "plain")
    report = replay(store, candidate)
    changed = set(report["changed_records"])
    assert changed and changed <= fired  # a rule that did not fire changes nothing
    # independently: each record where the rule fired, evaluated with and without it
    current = Evaluator(load_builtin_catalogue(), "plain")
    expected = set()
    for record in store.rows(m.records):
        if record["id"] in fired:
            before, after = current.evaluate(record["facts"]), candidate.evaluate(record["facts"])
            if (before.triage.level, set(before.cause_ids), set(before.recommendation_ids),
                    {w.id for w in before.withheld}) != (after.triage.level, set(after.cause_ids),
                                                         set(after.recommendation_ids), {w.id for w in after.withheld}):
                expected.add(record["id"])
    assert changed == expected
    assert report["changes"]["causes_lost"]["items"]["prolonged_sitting"]["count"] > 0
    cli = CliRunner().invoke(main, ["record", "replay", "--database", url, "--rulesets", str(tmp_path / "candidate"),
                                    "--engine", "plain", "--json"])
    assert set(json.loads(cli.output)["changed_records"]) == expected


def test_html_report_charts_render(month, tmp_path, chromium_browser):
    url, made = month
    out = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["record", "report", "--database", url, "--format", "html", "-o", str(out)]).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and made["target_rule"] in html
    # the session's one browser (conftest): a second Playwright in the same process refuses to start
    page = chromium_browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(out.as_uri())
        boxes = page.eval_on_selector_all("svg", "els => els.map(e => e.getBoundingClientRect().height)")
        assert len(boxes) == 2 and all(h > 60 for h in boxes)
        bars = page.eval_on_selector_all("svg:first-of-type rect", "els => els.map(e => e.getBoundingClientRect().width)")
        assert bars and max(bars) > 100  # the skewed rule's bar: over 40 % of 360 px
        import os

        if os.environ.get("RECORD_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["RECORD_SCREENSHOTS"], "record-report.png"), full_page=True)
    finally:
        page.close()
