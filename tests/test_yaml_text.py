"""The YAML reader used for rulesets: libyaml's speed, PyYAML's data and messages."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from decision_core.catalogue import yaml_text
REPO = Path(__file__).resolve().parent.parent
YAML_FILES = sorted(p for d in ("rulesets", "plugins", "examples", "tests") for p in (REPO / d).rglob("*.y*ml"))


def test_there_are_files_to_compare():
    assert len(YAML_FILES) > 15


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_same_data_as_the_pure_python_loader(path):
    text = path.read_text(encoding="utf-8")
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            yaml_text.safe_load(text)
        return
    assert yaml_text.safe_load(text) == expected


@pytest.mark.parametrize("text", ["when: [a, b", "rule: id: x", "a: 1\n  b: 2"])
def test_an_error_quotes_the_line_with_a_caret(text):
    with pytest.raises(yaml.YAMLError) as caught:
        yaml_text.safe_load(text)
    assert str(caught.value) == str(_pure_python_error(text))
    assert "^" in str(caught.value)


def _pure_python_error(text):
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return exc
    raise AssertionError("expected a YAML error")
