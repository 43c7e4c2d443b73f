"""The plugin loads into the installed decision-core, and its rulesets lint clean.
Its scenario files (hamstring_strength_deficit/scenarios/) are collected by
decision_core.testing's pytest plugin."""
from __future__ import annotations

import hamstring_strength_deficit as plugin
from decision_core.lint.linter import lint_paths
from decision_core.installation import default_core


def test_the_plugin_loads_and_registers_its_cause():
    info = default_core().plugin("hamstring_strength_deficit")
    assert info is not None, "not installed: pip install -e . (and DECISION_CORE_PLUGINS must allow it)"
    assert info.status == "ok", info.error
    assert info.registered["causes"] == ["hamstring_strength_deficit"]
    assert "hamstring_strength_deficit" in default_core().catalogue.causes


def test_the_rulesets_lint_clean_against_the_installed_core():
    report = lint_paths([plugin.RULESETS])
    assert report.ok(strict=True), report.text()
