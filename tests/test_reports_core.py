"""Reports read the installation they are given (decision_core.installation.DecisionCore): its output
formats, its catalogue (source titles, fact labels) and its translations, through the app
factory, the CLI and render(); not the process default's."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from decision_core.adapters.http import create_app
from decision_core.adapters.reports import UnknownFormat, render
from decision_core.cli.main import main
from plugin_support import load_with

FACTS = {"reporting_fact": True}
SOURCE_TITLE = "The reporting plugin's guide"  # tests/plugins/reporting: what only its installation has
FACT_LABEL = "Reporting plugin answer"
ESPERANTO_TITLE = "Raporto de la kromprogramo"


@pytest.fixture(scope="module")
def core():
    return load_with("reporting", strict=True)


def test_the_app_renders_reports_with_its_own_installation(core):
    app = create_app({"ENV": "development", "ENGINE": "plain"}, core=core).test_client()
    body = {"facts": FACTS, "lang": "eo"}
    markdown = app.post("/v1/reports?format=markdown", json=body)
    assert markdown.status_code == 200, markdown.get_json()
    assert SOURCE_TITLE in markdown.text and ESPERANTO_TITLE in markdown.text
    fhir = app.post("/v1/reports?format=fhir", json={"facts": FACTS})
    assert fhir.status_code == 200 and FACT_LABEL in fhir.text
    assert app.post("/v1/reports?format=reporting-line", json=FACTS).text == "reporting: reporting_cause"
    # the process default has none of it: no such language, format or source
    default = create_app({"ENV": "development", "ENGINE": "plain"}).test_client()
    assert default.post("/v1/reports?format=markdown", json=body).status_code == 422
    with pytest.raises(UnknownFormat):
        render(core.evaluate(FACTS, engine="plain"), "reporting-line")
    assert SOURCE_TITLE not in render(core.evaluate(FACTS, engine="plain"), "markdown").decode()


def test_the_cli_renders_reports_with_the_installation_it_is_given(core, tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FACTS), encoding="utf-8")
    runner = CliRunner()
    line = runner.invoke(main, ["report", str(facts), "-f", "reporting-line", "--engine", "plain"], obj=core)
    assert line.exit_code == 0, line.output
    assert line.stdout == "reporting: reporting_cause"
    text = runner.invoke(main, ["report", str(facts), "-f", "markdown", "--lang", "eo", "--engine", "plain"], obj=core)
    assert text.exit_code == 0, text.output
    assert SOURCE_TITLE in text.stdout and ESPERANTO_TITLE in text.stdout
