"""The app factory serves the installation it is given (decision_core.installation.DecisionCore),
else the process default."""
from __future__ import annotations

from pathlib import Path

from decision_core.adapters.http import create_app
from decision_core.installation import DecisionCore
from decision_core.testing import installed_plugin

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


def _cause_ids(app) -> set[str]:
    response = app.test_client().get("/v1/causes")
    assert response.status_code == 200
    return {c["id"] for c in response.get_json()["causes"]}


def test_the_app_serves_the_installation_it_is_given():
    with installed_plugin("good", source_dir=PLUGINS):
        core = DecisionCore.load()
    with_plugin = create_app({"ENV": "development", "ENGINE": "plain"}, core=core)
    assert "good_cause" in _cause_ids(with_plugin)
    assert with_plugin.extensions["decision_core"].backend.evaluator is core.evaluator("plain")
    assert "good_cause" not in _cause_ids(create_app({"ENV": "development", "ENGINE": "plain"}))
