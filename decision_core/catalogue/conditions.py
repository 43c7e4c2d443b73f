"""The condition language of ruleset files, parsed into small immutable objects.

A condition is one line a clinician can read (``sitting_hours_per_day >= 6``).
Parsing turns it into a :class:`Condition`; both engines work from these.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from decision_core.catalogue import yaml_text

# Operators on patient facts. Each holds only when the fact is known.
FACT_OPS = ("is_true", "is_false", "eq", "ne", "in", "gte", "gt", "lte", "lt", "includes")
# Operators on what earlier rules concluded.
DERIVED_OPS = ("finding", "cause", "triage_at_least", "triage_below")


@dataclass(frozen=True)
class Condition:
    op: str
    subject: str  # fact name, finding name, cause id or triage level
    value: Any = None  # literal compared with (tuple for "in")
    text: str = ""  # as written, for explanations and errors

    @property
    def on_fact(self) -> bool:
        return self.op in FACT_OPS


class ConditionSyntaxError(ValueError):
    pass


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATTERNS = [
    (re.compile(rf"^finding\s+({_NAME})$"), "finding"),
    (re.compile(rf"^cause\s+({_NAME})$"), "cause"),
    (re.compile(rf"^triage\s+is\s+at\s+least\s+({_NAME})$"), "triage_at_least"),
    (re.compile(rf"^triage\s+is\s+below\s+({_NAME})$"), "triage_below"),
    (re.compile(rf"^({_NAME})\s+is\s+true$"), "is_true"),
    (re.compile(rf"^({_NAME})\s+is\s+false$"), "is_false"),
    (re.compile(rf"^({_NAME})\s+is\s+one\s+of\s+(.+)$"), "in"),
    (re.compile(rf"^({_NAME})\s+is\s+not\s+(.+)$"), "ne"),
    (re.compile(rf"^({_NAME})\s+is\s+(.+)$"), "eq"),
    (re.compile(rf"^({_NAME})\s+includes\s+(.+)$"), "includes"),
    (re.compile(rf"^({_NAME})\s*(>=|>|<=|<)\s*(.+)$"), "compare"),
]
_COMPARE = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}


def _literal(text: str) -> Any:
    try:
        return yaml_text.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConditionSyntaxError(f"cannot read value {text!r}") from exc


def parse_condition(text: str) -> Condition:
    """Parse one condition line; raise ConditionSyntaxError saying why not."""
    if not isinstance(text, str):
        raise ConditionSyntaxError("a condition must be a line of text")
    line = " ".join(text.split())
    for pattern, op in _PATTERNS:
        match = pattern.match(line)
        if not match:
            continue
        if op in DERIVED_OPS or op in ("is_true", "is_false"):
            return Condition(op, match.group(1), None, line)
        if op == "compare":
            value = _literal(match.group(3))
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConditionSyntaxError(f"{match.group(2)} needs a number, got {match.group(3)!r}")
            return Condition(_COMPARE[match.group(2)], match.group(1), value, line)
        value = _literal(match.group(2))
        if op == "in":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            if not isinstance(value, list) or not value:
                raise ConditionSyntaxError("'is one of' needs a list such as [a, b]")
            if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
                raise ConditionSyntaxError("'is one of' takes words or numbers")
            return Condition("in", match.group(1), tuple(value), line)
        if isinstance(value, (list, dict)) or value is None or isinstance(value, bool):
            raise ConditionSyntaxError(f"cannot compare with {match.group(2)!r}")
        return Condition(op, match.group(1), value, line)
    raise ConditionSyntaxError(
        f"cannot read condition {text!r}: expected e.g. 'FACT is true', 'FACT >= 6', "
        "'FACT is one of [a, b]', 'FACT includes x', 'finding NAME', 'cause ID', "
        "'triage is at least LEVEL'"
    )


@dataclass(frozen=True)
class Conclusion:
    kind: str  # finding | cause | triage | recommend | avoid
    target: str
    text: str = ""


CONCLUSION_KINDS = ("finding", "cause", "triage", "recommend", "avoid")
_CONCLUSION = re.compile(rf"^({'|'.join(CONCLUSION_KINDS)})\s+({_NAME})$")


def parse_conclusion(text: str) -> Conclusion:
    line = " ".join(str(text).split())
    match = _CONCLUSION.match(line)
    if not match:
        raise ConditionSyntaxError(
            f"cannot read conclusion {text!r}: expected one of "
            + ", ".join(f"'{k} ID'" for k in CONCLUSION_KINDS)
        )
    return Conclusion(match.group(1), match.group(2), line)
