"""Scenario files (``*.scenarios.yaml``): reading and validating them. The format is
described in :mod:`decision_core.testing`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from decision_core.catalogue import yaml_text
from decision_core.catalogue.schema import flatten_messages

SCENARIO_SUFFIXES = (".scenarios.yaml", ".scenarios.yml")


class ScenarioFileError(ValueError):
    """A scenario file that cannot be read; the message names the file, scenario and field."""



class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _ids():
    return fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)


class _PresentAbsent(_Strict):
    present = _ids()
    absent = _ids()


class _Causes(_PresentAbsent):
    top = fields.String()
    exactly = fields.List(fields.String(), allow_none=False)


class _Recommendations(_PresentAbsent):
    withheld = _ids()


class _Triage(fields.Field):
    """``LEVEL``, or a mapping with ``at_least`` and/or ``below``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return {"is": value}
        if isinstance(value, dict) and value and set(value) <= {"at_least", "below"} \
                and all(isinstance(v, str) for v in value.values()):
            return dict(value)
        raise ValidationError("triage is a level id, or a mapping with at_least and/or below")


class _Expect(_Strict):
    triage = _Triage()
    causes = fields.Nested(_Causes)
    recommendations = fields.Nested(_Recommendations)
    avoid = fields.Nested(_PresentAbsent)
    next_questions = fields.Nested(_PresentAbsent)
    invalid_facts = fields.List(fields.String(), validate=validate.Length(min=1))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("expect at least one thing (triage, causes, recommendations, avoid, "
                                  "next_questions or invalid_facts)")
        if "invalid_facts" in data and len(data) > 1:
            raise ValidationError("invalid_facts expects the facts to be rejected: nothing else can be "
                                  "expected of that scenario", "invalid_facts")


class _Scenario(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String()
    given = fields.Dict(keys=fields.String(), required=True)
    expect = fields.Nested(_Expect, required=True)


@dataclass(frozen=True, eq=False)  # hashed by identity: two scenarios may expect the same
class Scenario:
    name: str
    given: dict[str, Any]
    expect: dict[str, Any]
    file: str
    line: int

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


def load_scenarios(path: Path | str) -> list[Scenario]:
    """Read and validate one scenario file; raise ScenarioFileError naming file, scenario and field."""
    path = Path(path)
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml_text.safe_load(text)
        node = yaml.compose(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(f"{name}: cannot read file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioFileError(f"{name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or set(raw) - {"scenarios", "description"} or \
            not isinstance(raw.get("scenarios"), list) or not raw["scenarios"]:
        raise ScenarioFileError(f"{name}: a scenario file is a mapping with a non-empty 'scenarios:' list "
                                "(and an optional description)")
    lines = _item_lines(node)
    problems, scenarios, seen = [], [], set()
    for index, item in enumerate(raw["scenarios"]):
        label = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else f"#{index + 1}"
        line = lines[index] if index < len(lines) else 1
        if not isinstance(item, dict):
            problems.append(f"{name}:{line}, scenario {label}: a scenario is a mapping with name, given and expect")
            continue
        try:
            data = _Scenario().load(item)
        except ValidationError as exc:
            problems += [f"{name}:{line}, scenario '{label}', field {fld}: {msg}"
                         for fld, msg in flatten_messages(exc.messages)]
            continue
        if data["name"] in seen:
            problems.append(f"{name}:{line}, scenario '{label}': two scenarios have this name")
            continue
        seen.add(data["name"])
        scenarios.append(Scenario(data["name"], data["given"], data["expect"], name, line))
    if problems:
        raise ScenarioFileError("\n".join(problems))
    return scenarios


def _item_lines(node) -> list[int]:
    """The line of each item of the top-level 'scenarios' list."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "scenarios" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _display(path: Path) -> str:
    from decision_core.catalogue.loading import _display as display

    return display(path)


def scenario_files(*paths: Path | str) -> list[Path]:
    """Every ``*.scenarios.yaml`` file in these files or folders (searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SCENARIO_SUFFIXES))
        elif p.is_file():
            found.append(p)
    return found
